using System.Text;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class ImageScannerTests
{
    private const string Password = "Canary-pw-5c0d9e7f21";
    private static readonly string Netrc = $"machine 127.0.0.1\nlogin admin\npassword {Password}\n";

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static ScanResult Scan(byte[] archive, params string[] baseLayers) =>
        new ImageScanner(SecretValues.Needles("netrc", Bytes(Netrc)), new HashSet<string>(baseLayers)).Scan(new ForwardOnlyStream(archive), CancellationToken.None);

    public static IEnumerable<object[]> Layouts =>
    [
        [false, false],
        [false, true],
        [true, false],
        [true, true],
    ];

    [TestMethod]
    [DynamicData(nameof(Layouts))]
    public void A_secret_copied_into_an_added_layer_is_found_with_its_path_and_step(bool oci, bool gzip)
    {
        var archive = new ImageArchiveBuilder { Oci = oci, Gzip = gzip }
            .Layer("base layer", "etc/os-release", "debian")
            .EmptyStep("ENV A=1")
            .Layer("RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc # buildkit", "app/netrc", Netrc)
            .Build();

        var result = Scan(archive);

        var leak = result.Leaks.Single();
        Assert.AreEqual("netrc", leak.SecretId);
        Assert.AreEqual(LeakPlace.Layer, leak.Place);
        Assert.AreEqual("/app/netrc", leak.Location);
        Assert.AreEqual("RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc # buildkit", leak.Step);
        Assert.AreEqual(oci ? "oci" : "classic", result.Layout);
        Assert.AreEqual(2, result.LayersScanned);
    }

    [TestMethod]
    [DynamicData(nameof(Layouts))]
    public void A_leak_in_a_base_layer_is_not_reported_and_base_layers_are_skipped(bool oci, bool gzip)
    {
        var builder = new ImageArchiveBuilder { Oci = oci, Gzip = gzip }
            .Layer("base", "root/.netrc", Netrc)
            .Layer("COPY . /app", "app/app.dll", "clean");

        var result = Scan(builder.Build(), builder.DiffId(0));

        Assert.AreEqual(0, result.Leaks.Count);
        Assert.AreEqual(1, result.LayersScanned);
        Assert.AreEqual(1, result.LayersSkipped);
    }

    [TestMethod]
    public void Podmans_archive_is_scanned_and_its_base_layers_skipped_unread()
    {
        var builder = new ImageArchiveBuilder { Podman = true }
            .Layer("base", "root/.netrc", Netrc)
            .Layer("RUN cp /run/secrets/netrc /app/netrc", "app/netrc", Netrc);

        var result = Scan(builder.Build(), builder.DiffId(0));

        Assert.AreEqual("/app/netrc", result.Leaks.Single().Location);
        Assert.AreEqual(1, result.LayersScanned);
        Assert.AreEqual(1, result.LayersSkipped);
    }

    [TestMethod]
    public void Only_the_password_inside_a_bigger_file_is_enough()
    {
        var archive = new ImageArchiveBuilder().Layer("RUN build", "app/appsettings.json", $"{{\"Feed\":{{\"Password\":\"{Password}\"}}}}").Build();

        Assert.AreEqual(SecretForm.NetrcPassword, Scan(archive).Leaks.Single().Needle.Form);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    public void A_base64_encoded_secret_is_found_at_any_alignment(int prefix)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('x', prefix) + Password + "tail"));
        var archive = new ImageArchiveBuilder().Layer("RUN encode", "app/blob.txt", encoded).Build();

        Assert.AreEqual(SecretEncoding.Base64, Scan(archive).Leaks.Single().Needle.Encoding);
    }

    [TestMethod]
    public void A_secret_across_the_chunk_boundary_is_found()
    {
        var content = new byte[(1 << 20) + 4096];
        Encoding.UTF8.GetBytes(Password).CopyTo(content, (1 << 20) - 7);
        var archive = new ImageArchiveBuilder().Layer("RUN fill", ("app/big.bin", content)).Build();

        Assert.AreEqual("/app/big.bin", Scan(archive).Leaks.Single().Location);
    }

    [TestMethod]
    public void A_secret_in_a_file_name_is_found()
    {
        var archive = new ImageArchiveBuilder().Layer("RUN touch", $"tmp/{Password}", "x").Build();

        StringAssert.EndsWith(Scan(archive).Leaks.Single().Location, "(its name)");
    }

    [TestMethod]
    public void A_secret_deleted_by_a_later_layer_is_still_reported_for_the_layer_that_added_it()
    {
        var archive = new ImageArchiveBuilder()
            .Layer("RUN cp /run/secrets/netrc /root/.netrc", "root/.netrc", Netrc)
            .Layer("RUN rm /root/.netrc", "root/.wh..netrc", string.Empty)
            .Build();

        Assert.AreEqual("RUN cp /run/secrets/netrc /root/.netrc", Scan(archive).Leaks.Single().Step);
    }

    [TestMethod]
    [DynamicData(nameof(Layouts))]
    public void Secrets_in_Env_Labels_and_history_are_found(bool oci, bool gzip)
    {
        var archive = new ImageArchiveBuilder { Oci = oci, Gzip = gzip }
            .Layer("COPY . /app", "app/app.dll", "clean")
            .EmptyStep($"ENV FEED_PASSWORD={Password}")
            .Env($"FEED_PASSWORD={Password}")
            .Label("feed", Password)
            .Build();

        var leaks = Scan(archive).Leaks;

        CollectionAssert.AreEquivalent(new[] { "Config Env", "Config Labels", "History history entry 2" }, leaks.Select(l => $"{l.Place} {l.Location}").ToArray());
    }

    [TestMethod]
    public void A_clean_image_has_no_leaks()
    {
        var archive = new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "password admin machine").Build();

        Assert.AreEqual(0, Scan(archive).Leaks.Count);
    }

    [TestMethod]
    public void An_archive_that_is_not_an_image_is_an_ImageArchiveException_without_content()
    {
        var error = Assert.ThrowsExactly<ImageArchiveException>(() => Scan(new ImageArchiveBuilder().Layer("x", "a", "b").Build()[..1024]));
        Assert.IsFalse(error.Message.Contains(Password, StringComparison.Ordinal));
        Assert.ThrowsExactly<ImageArchiveException>(() => Scan(Encoding.UTF8.GetBytes(new string('z', 2048))));
    }

    [TestMethod]
    public void Short_or_common_values_are_not_searched_and_are_reported_unverifiable()
    {
        Assert.AreEqual(0, SecretValues.Needles("pw", Bytes("password")).Count);
        Assert.IsNotNull(SecretValues.WhyNotVerifiable(Bytes("machine h login admin password password")));
        Assert.IsNotNull(SecretValues.WhyNotVerifiable(Bytes("short")));
        Assert.IsNull(SecretValues.WhyNotVerifiable(Bytes(Netrc)));
    }

    [TestMethod]
    public void A_netrc_whose_password_is_too_common_is_still_found_when_copied_whole()
    {
        var weak = "machine 127.0.0.1\nlogin admin\npassword password\n";
        var archive = new ImageArchiveBuilder().Layer("COPY netrc /root/.netrc", "root/.netrc", weak).Build();

        var result = new ImageScanner(SecretValues.Needles("netrc", Bytes(weak)), new HashSet<string>()).Scan(new MemoryStream(archive), CancellationToken.None);

        Assert.AreEqual("/root/.netrc", result.Leaks.Single().Location);
        Assert.IsNotNull(SecretValues.WhyNotVerifiable(Bytes(weak)), "the weak password itself still cannot be verified");
    }

    [TestMethod]
    public void NuGet_ClearTextPassword_and_npmrc_authToken_values_are_searched()
    {
        var parts = SecretValues.SearchFragments(Bytes("<add key=\"Username\" value=\"me\" />\n<add key=\"ClearTextPassword\" value=\"nuget-pw-0123456\" />\n//registry.example.com/:_authToken=npm-token-abcdef\n"))
            .Select(p => $"{p.Form}: {p.Text}").ToArray();

        CollectionAssert.Contains(parts, "ClearTextPassword: nuget-pw-0123456");
        CollectionAssert.Contains(parts, "KeyValueValue: npm-token-abcdef");
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Buildxs_OCI_archive_with_an_attestation_index_and_mixed_layers_is_scanned_and_its_base_layer_skipped_unread(bool manifestJson)
    {
        // As Docker 26 with the containerd image store saves a buildx image: the imported base layer
        // stays uncompressed (its blob is named by its diff id), BuildKit's layers are gzip.
        var builder = new ImageArchiveBuilder { Oci = true, Attestation = true, GzipLayer = i => i > 0 }
            .Layer("base", "root/.netrc", Netrc)
            .Layer("COPY . /app", "app/app.dll", "clean")
            .Layer("RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc", "app/netrc", Netrc);
        var archive = builder.Build();
        if (!manifestJson)
        {
            archive = WithoutEntry(archive, "manifest.json");
        }

        var result = Scan(archive, builder.DiffId(0));

        Assert.AreEqual("oci", result.Layout);
        var leak = result.Leaks.Single();
        Assert.AreEqual("/app/netrc", leak.Location);
        Assert.AreEqual("RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc", leak.Step);
        Assert.AreEqual(2, result.LayersScanned);
        Assert.AreEqual(1, result.LayersSkipped);
    }

    [TestMethod]
    public void A_zstd_layer_is_an_UnsupportedLayerException_naming_the_blob()
    {
        var builder = new ImageArchiveBuilder { Oci = true, ZstdLayer = 1 }
            .Layer("base", "etc/os-release", "debian")
            .Layer("RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc", "app/netrc", Netrc);

        var error = Assert.ThrowsExactly<UnsupportedLayerException>(() => Scan(builder.Build()));

        Assert.AreEqual("zstd", error.Compression);
        StringAssert.StartsWith(error.Entry, "blobs/sha256/");
    }

    [TestMethod]
    public void Non_ASCII_and_long_paths_in_PAX_records_are_reported_whole()
    {
        var path = "app/" + new string('d', 90) + "/Zürich-秘密/netrc";
        var archive = new ImageArchiveBuilder().Layer("RUN cp /run/secrets/netrc", path, Netrc).Build();

        Assert.AreEqual("/" + path, Scan(archive).Leaks.Single().Location);
    }

    [TestMethod]
    public void The_config_of_every_platform_of_a_multi_platform_archive_is_scanned_but_not_attestation_configs()
    {
        var builder = new ImageArchiveBuilder { Oci = true, Attestation = true, Gzip = true }.Layer("COPY message.txt /app/", "app/message.txt", "hello");
        var other = Encoding.UTF8.GetBytes($"{{\"architecture\":\"386\",\"os\":\"linux\",\"config\":{{\"Env\":[\"NETRC={Password}\"]}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}},\"history\":[]}}");
        var archive = WithoutEntry(builder.Build(), null, ("blobs/sha256/" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(other)), other));

        var leak = Scan(archive).Leaks.Single();

        Assert.AreEqual(LeakPlace.Config, leak.Place);
        Assert.AreEqual("Env", leak.Location);
    }

    /// <summary>The archive without the entry <paramref name="name"/>, with <paramref name="added"/> written first.</summary>
    private static byte[] WithoutEntry(byte[] archive, string? name, (string Name, byte[] Content)? added = null)
    {
        var output = new MemoryStream();
        using (var reader = new System.Formats.Tar.TarReader(new MemoryStream(archive)))
        using (var writer = new System.Formats.Tar.TarWriter(output, leaveOpen: true))
        {
            if (added is { } entryToAdd)
            {
                writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, entryToAdd.Name) { DataStream = new MemoryStream(entryToAdd.Content) });
            }

            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name != name)
                {
                    writer.WriteEntry(entry);
                }
            }
        }

        return output.ToArray();
    }

    /// <summary>A stream that cannot seek, as the docker client's standard output.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7000));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
