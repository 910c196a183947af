using System.Security.Cryptography;
using System.Text;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Pipeline;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>
/// The proof records: an image proven clean is not scanned again, but only for the very same image,
/// secrets and scanner; a changed image is scanned for its new layers only; and a record that a
/// manifest contradicts proves nothing.
/// </summary>
[TestClass]
public sealed class ProofRecordsTests
{
    private const string Password = "Canary-proof-8e1f3a5b7c";
    private const string OtherImage = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    private static readonly string Netrc = $"machine 127.0.0.1\nlogin admin\npassword {Password}\n";

    private string _folder = null!;
    private readonly RecordingLog _log = new();

    [TestInitialize]
    public void CreateFolder() => _folder = Repository.NewTempFolder("proofs");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private IEnumerable<string> Logged => _log.Messages.Select(m => m.Text);

    private string ImageIdFile => Path.Combine(_folder, "obj", "buildsecrets", "image-id.txt");

    private SecretRotation Rotation => new(Path.Combine(_folder, "home", ".buildsecrets", "rotation.key"));

    private static Dictionary<string, byte[]> Values(string netrc = "") => new() { ["netrc"] = Encoding.UTF8.GetBytes(netrc.Length > 0 ? netrc : Netrc) };

    private ProofRecords Records(Dictionary<string, byte[]>? values = null, string code = "code-1", bool key = true) =>
        ProofRecords.For(ImageIdFile, key ? Rotation : null, values ?? Values(), code);

    private static byte[] CleanImage() => new ImageArchiveBuilder()
        .Layer("base layer", "etc/os-release", "debian")
        .Layer("COPY . /app # buildkit", "app/app.dll", "clean content")
        .Build();

    private async Task<IReadOnlyList<BuildSecrets.MSBuild.Diagnostics.Diagnostic>> ProveAsync(FakeDocker docker, ProofRecords records, string imageId = FakeDocker.ImageId, Dictionary<string, byte[]>? values = null) =>
        await new ImageProof(_log, DockerClient.Locate(docker.Path, null, windows: false), new SecretRedactor(), records)
            .ProveAsync("consumer", "Dockerfile", new BuildSecrets.MSBuild.Dockerfiles.ParsedDockerfile(), new BuiltImage(imageId, TimeSpan.Zero, [], []), values ?? Values(), scan: true, CancellationToken.None);

    private static int Saves(FakeDocker docker) => docker.Invocations.Count(i => i.StartsWith("save ", StringComparison.Ordinal));

    [TestMethod]
    public async Task An_image_proven_clean_is_not_scanned_again_for_the_same_secrets_and_scanner()
    {
        using var docker = FakeDocker.Create(savedImage: CleanImage());

        Assert.AreEqual(0, (await ProveAsync(docker, Records())).Count);
        Assert.AreEqual(0, (await ProveAsync(docker, Records())).Count);

        Assert.AreEqual(1, Saves(docker));
        Assert.IsTrue(Logged.Any(m => m.Contains("proven clean of secrets netrc by an earlier build", StringComparison.Ordinal) && m.Contains("not scanned again", StringComparison.Ordinal)), string.Join("\n", Logged));
    }

    [TestMethod]
    public async Task Another_image_is_scanned()
    {
        using var docker = FakeDocker.Create(savedImage: CleanImage());

        await ProveAsync(docker, Records());
        await ProveAsync(docker, Records(), OtherImage);

        Assert.AreEqual(2, Saves(docker));
    }

    [TestMethod]
    public async Task A_changed_secret_is_searched_for_again()
    {
        using var docker = FakeDocker.Create(savedImage: CleanImage());
        var rotated = Values(Netrc.Replace(Password, "Rotated-proof-2b4d6f8a0c", StringComparison.Ordinal));

        await ProveAsync(docker, Records());
        await ProveAsync(docker, Records(rotated), values: rotated);

        Assert.AreEqual(2, Saves(docker));
    }

    [TestMethod]
    public async Task Another_scanner_scans_again()
    {
        using var docker = FakeDocker.Create(savedImage: CleanImage());

        await ProveAsync(docker, Records(code: "code-1"));
        await ProveAsync(docker, Records(code: "code-2"));

        Assert.AreEqual(2, Saves(docker));
    }

    [TestMethod]
    public async Task Without_a_per_user_key_nothing_is_remembered()
    {
        using var docker = FakeDocker.Create(savedImage: CleanImage());

        await ProveAsync(docker, Records(key: false));
        await ProveAsync(docker, Records(key: false));

        Assert.AreEqual(2, Saves(docker));
        Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(ImageIdFile)));
    }

    [TestMethod]
    public async Task A_leaking_image_is_never_recorded_and_is_found_every_time()
    {
        var leaking = new ImageArchiveBuilder()
            .Layer("base layer", "etc/os-release", "debian")
            .Layer("RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc # buildkit", "app/netrc", Netrc)
            .Build();
        using var docker = FakeDocker.Create(savedImage: leaking);

        Assert.AreEqual("BSEC5001", (await ProveAsync(docker, Records())).Single().Code);
        Assert.AreEqual("BSEC5001", (await ProveAsync(docker, Records())).Single().Code);
        Assert.AreEqual(2, Saves(docker));
    }

    [TestMethod]
    public async Task The_record_holds_neither_a_value_nor_a_plain_hash_of_one()
    {
        using var docker = FakeDocker.Create(savedImage: CleanImage());

        await ProveAsync(docker, Records());

        var record = File.ReadAllText(Records().Path!);
        foreach (var form in new[] { Password, Netrc, Convert.ToBase64String(Encoding.UTF8.GetBytes(Netrc)), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Netrc))), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Password))) })
        {
            Assert.IsFalse(record.Contains(form, StringComparison.OrdinalIgnoreCase), "the record holds a form of the secret");
        }
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, false)]
    [DataRow(true, true)]
    public void A_layer_proven_clean_earlier_is_left_unread(bool oci, bool gzip)
    {
        var builder = new ImageArchiveBuilder { Oci = oci, Gzip = gzip }
            .Layer("base layer", "etc/os-release", "debian")
            .Layer("RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc # buildkit", "app/netrc", Netrc);
        var archive = builder.Build();
        var needles = SecretValues.Needles("netrc", Encoding.UTF8.GetBytes(Netrc));
        var first = new ImageScanner(needles, new HashSet<string>()).Scan(new MemoryStream(archive), CancellationToken.None);

        // Said to be clean, the layer that holds the secret is not read: had it been, the secret would be found.
        var shortcuts = new LayerShortcuts(new HashSet<string> { builder.DiffId(0) }, new HashSet<string> { builder.DiffId(1) }, first.EntryDiffIds);
        var second = new ImageScanner(needles, shortcuts).Scan(new MemoryStream(archive), CancellationToken.None);

        Assert.AreEqual(1, first.Leaks.Count);
        Assert.AreEqual(0, second.Leaks.Count);
        Assert.AreEqual(1, second.LayersProvenEarlier);
        Assert.AreEqual(1, second.LayersSkipped);
        Assert.AreEqual(0, second.LayersScanned);
        Assert.AreEqual(0, second.BytesScanned);
        Assert.IsTrue(second.ShortcutsHeld);
    }

    [TestMethod]
    public async Task A_changed_image_is_scanned_for_its_new_layers_only()
    {
        var changed = new ImageArchiveBuilder()
            .Layer("base layer", "etc/os-release", "debian")
            .Layer("COPY . /app # buildkit", "app/app.dll", "clean content")
            .Layer("RUN echo changed > /app/changed.txt # buildkit", "app/changed.txt", "changed")
            .Build();
        using (var first = FakeDocker.Create(savedImage: CleanImage()))
        {
            await ProveAsync(first, Records());
        }

        using var docker = FakeDocker.Create(savedImage: changed);
        Assert.AreEqual(0, (await ProveAsync(docker, Records(), OtherImage)).Count);

        var scanned = Logged.Last(m => m.Contains("BuildSecrets: scanned image", StringComparison.Ordinal));
        StringAssert.Contains(scanned, "1 layer(s) added on top of the base image (0 base layer(s) left out, 2 proven clean by an earlier build");
    }

    [TestMethod]
    public async Task A_recorded_entry_that_the_manifest_contradicts_proves_nothing_and_the_image_is_scanned_again()
    {
        // Docker's classic layout names a layer's entry by a v1 id, not by its content: the same
        // name may hold another layer in another image. The record is only a guess the manifest must confirm.
        using (var first = FakeDocker.Create(savedImage: CleanImage()))
        {
            await ProveAsync(first, Records());
        }

        var leaking = new ImageArchiveBuilder()
            .Layer("base layer", "etc/os-release", "debian")
            .Layer("RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc # buildkit", "app/netrc", Netrc)
            .Build();
        using var docker = FakeDocker.Create(savedImage: leaking);

        var leaks = await ProveAsync(docker, Records(), OtherImage);

        Assert.AreEqual("BSEC5001", leaks.Single().Code);
        Assert.AreEqual(2, Saves(docker));
    }
}
