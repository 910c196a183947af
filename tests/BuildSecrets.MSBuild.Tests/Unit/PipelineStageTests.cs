using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Pipeline;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>Each stage of <see cref="ImageBuild"/> on its own, without MSBuild.</summary>
[TestClass]
public sealed class PipelineStageTests
{
    private const string Canary = "Canary-stage-4d8a2c6e0f";

    private string _folder = null!;
    private readonly RecordingLog _log = new();
    private readonly Dictionary<string, string> _environment = new() { ["TOKEN"] = Canary };

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Repository.NewTempFolder("stage");
        Directory.CreateDirectory(Path.Combine(_folder, "context"));
        File.WriteAllText(Path.Combine(_folder, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=token true\n");
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private ImageBuildOptions Options => new() { GetEnvironmentVariable = name => _environment.TryGetValue(name, out var value) ? value : null };

    private BuildRequest Request(params SecretItem[] secrets) => new()
    {
        Dockerfile = Path.Combine(_folder, "Dockerfile"),
        Context = Path.Combine(_folder, "context"),
        Repository = "stage",
        Tags = ["latest", "1.0"],
        Secrets = secrets,
        ImageIdFile = Path.Combine(_folder, "iid"),
    };

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static DeclaredSecret Declared(string id, SecretSource source) => new(id, source);

    [TestMethod]
    public void Handoff_names_files_and_build_variables_as_they_are_and_carries_other_values_in_the_child_environment()
    {
        var file = Path.Combine(_folder, "netrc");
        using var handoff = SecretHandoff.Create(
            [
                Declared("netrc", new FileSecretSource(file)),
                Declared("token", new EnvironmentSecretSource("TOKEN", _ => Canary)),
                Declared("inline", new ValueSecretSource(Canary)),
            ],
            new Dictionary<string, byte[]> { ["netrc"] = Bytes("x"), ["token"] = Bytes(Canary), ["inline"] = Bytes(Canary) },
            clientReadsEnvironment: true);

        CollectionAssert.AreEqual(
            new[] { $"netrc File {file}", "token Variable TOKEN", "inline Variable BUILDSECRETS_SECRET_0" },
            handoff.References.Select(r => $"{r.Id} {r.Kind} {r.Target}").ToArray());
        CollectionAssert.AreEqual(new[] { "BUILDSECRETS_SECRET_0" }, handoff.ChildEnvironment.Keys.ToArray());
        Assert.AreEqual(Canary, handoff.ChildEnvironment["BUILDSECRETS_SECRET_0"]);
    }

    [TestMethod]
    public void Handoff_to_a_client_that_reads_files_only_writes_private_files_and_removes_them()
    {
        string folder;
        using (var handoff = SecretHandoff.Create(
            [Declared("token", new EnvironmentSecretSource("TOKEN", _ => Canary)), Declared("inline", new ValueSecretSource(Canary))],
            new Dictionary<string, byte[]> { ["token"] = Bytes(Canary), ["inline"] = Bytes(Canary) },
            clientReadsEnvironment: false))
        {
            Assert.AreEqual(0, handoff.ChildEnvironment.Count);
            Assert.IsTrue(handoff.References.All(r => r.Kind == SecretReferenceKind.File));
            var path = handoff.References[0].Target;
            folder = Path.GetDirectoryName(path)!;
            Assert.AreEqual(Canary, File.ReadAllText(path));
            if (!OperatingSystem.IsWindows())
            {
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            }
        }

        Assert.IsFalse(Directory.Exists(folder));
    }

    [TestMethod]
    public void Input_check_leaves_out_an_absent_optional_secret_and_types_the_others()
    {
        var input = new InputCheck(_log, Options).Run(Request(
            new SecretItem("token") { EnvironmentVariable = "TOKEN" },
            new SecretItem("absent") { EnvironmentVariable = "NOT_SET", Required = false }));

        Assert.IsNotNull(input);
        Assert.AreEqual("token", input.Secrets.Single().Id);
        Assert.AreEqual(0, _log.Diagnostics.Count);
        Assert.IsTrue(_log.Messages.Single().Important);
        StringAssert.Contains(_log.Messages.Single().Text, "'absent'");
    }

    [TestMethod]
    public void Input_check_stops_on_an_error()
    {
        Assert.IsNull(new InputCheck(_log, Options).Run(Request(new SecretItem("token") { EnvironmentVariable = "NOT_SET" })));
        CollectionAssert.AreEqual(new[] { "BSEC1005" }, _log.Codes.ToArray());
    }

    [TestMethod]
    public void Leak_prevention_stops_a_build_argument_that_carries_a_value()
    {
        var request = Request() with { BuildArgs = [new BuildArgument("TOKEN_ARG", "prefix-" + Canary)] };
        var secrets = new[] { Declared("token", new EnvironmentSecretSource("TOKEN", _ => Canary)) };

        Assert.IsNull(new LeakPrevention(_log, SecretRotation.ForUser(Options.GetEnvironmentVariable, Options.Windows)).Run(request, secrets, new Dictionary<string, byte[]> { ["token"] = Bytes(Canary) }));
        CollectionAssert.AreEqual(new[] { "BSEC4003" }, _log.Codes.ToArray());
    }

    [TestMethod]
    public void Leak_prevention_passes_a_clean_request_and_returns_the_parsed_Dockerfile()
    {
        var secrets = new[] { Declared("token", new EnvironmentSecretSource("TOKEN", _ => Canary)) };

        var dockerfile = new LeakPrevention(_log, SecretRotation.ForUser(Options.GetEnvironmentVariable, Options.Windows)).Run(Request(), secrets, new Dictionary<string, byte[]> { ["token"] = Bytes(Canary) });

        Assert.IsNotNull(dockerfile);
        Assert.AreEqual("token", dockerfile.SecretMounts.Single().Id);
        Assert.AreEqual(0, _log.Diagnostics.Count);
    }

    [TestMethod]
    public async Task Proof_with_the_scan_turned_off_is_warning_BSEC5007_and_finds_nothing()
    {
        using var docker = FakeDocker.Create();
        var proof = new ImageProof(_log, DockerClient.Locate(docker.Path, null, windows: false), new SecretRedactor(), ProofRecords.None);

        var leaks = await proof.ProveAsync("stage", "Dockerfile", new Dockerfiles.ParsedDockerfile(), new BuiltImage(FakeDocker.ImageId, TimeSpan.Zero, [], []),
            new Dictionary<string, byte[]> { ["token"] = Bytes(Canary) }, scan: false, CancellationToken.None);

        Assert.AreEqual(0, leaks.Count);
        CollectionAssert.AreEqual(new[] { "BSEC5007" }, _log.Codes.ToArray());
        Assert.IsFalse(docker.Invocations.Any(i => i.StartsWith("save", StringComparison.Ordinal)));
    }

    [TestMethod]
    public async Task Publishing_tags_every_reference_then_pushes_them()
    {
        using var docker = FakeDocker.Create();
        var client = DockerClient.Locate(docker.Path, null, windows: false);
        var publisher = new ImagePublisher(_log, new Engine(client, new DockerClientInfo("20.10.24", "20.10.24", false), BuildMode.ClassicBuildKit), new SecretRedactor());

        var digest = await publisher.PublishAsync(Request(), FakeDocker.ImageId, push: true, CancellationToken.None);

        CollectionAssert.AreEqual(
            new[] { $"tag {FakeDocker.ImageId} stage:latest", $"tag {FakeDocker.ImageId} stage:1.0", "push stage:latest", "push stage:1.0" },
            docker.Invocations.ToArray());
        StringAssert.StartsWith(digest, "sha256:");
    }

    [TestMethod]
    [DataRow("{\n  \"containerimage.digest\": \"sha256:abc\",\n  \"image.name\": \"moby-dangling@sha256:abc\"\n}")]
    [DataRow("{\"containerimage.digest\": \"sha256:abc\"}")]
    public async Task Publishing_writes_the_tags_into_buildx_metadata_file(string written)
    {
        using var docker = FakeDocker.Create();
        var metadata = Path.Combine(_folder, "metadata.json");
        File.WriteAllText(metadata, written);
        var client = DockerClient.Locate(docker.Path, null, windows: false);
        var publisher = new ImagePublisher(_log, new Engine(client, new DockerClientInfo("28.2.2", "28.2.2", true), BuildMode.Buildx), new SecretRedactor());

        await publisher.PublishAsync(Request() with { MetadataFile = metadata }, FakeDocker.ImageId, push: false, CancellationToken.None);

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(metadata));
        Assert.AreEqual("stage:latest,stage:1.0", document.RootElement.GetProperty("image.name").GetString());
        Assert.AreEqual("sha256:abc", document.RootElement.GetProperty("containerimage.digest").GetString());
    }

    [TestMethod]
    public async Task Rejecting_removes_the_untagged_image()
    {
        using var docker = FakeDocker.Create();
        var client = DockerClient.Locate(docker.Path, null, windows: false);
        var publisher = new ImagePublisher(_log, new Engine(client, new DockerClientInfo("20.10.24", "20.10.24", false), BuildMode.ClassicBuildKit), new SecretRedactor());

        await publisher.RejectAsync(FakeDocker.ImageId, pruneCache: false, CancellationToken.None);

        CollectionAssert.AreEqual(new[] { $"image rm {FakeDocker.ImageId}" }, docker.Invocations.ToArray());
    }
}
