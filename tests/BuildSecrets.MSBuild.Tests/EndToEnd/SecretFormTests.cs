using System.Security.Cryptography;
using System.Text;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// Secrets in the forms a project really has, leaked in the forms steps really write, each with a
/// random value and published for real. The ground truth is checked first: with the scan off the
/// image is built and a container decodes the leak back to the secret; then the publish with the
/// scan must fail.
/// </summary>
[TestClass]
public sealed class SecretFormTests
{
    private readonly string _repository = "buildsecrets-e2e/forms-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    private static string Random(int bytes) => Convert.ToHexString(RandomNumberGenerator.GetBytes(bytes)).ToLowerInvariant();

    private async Task<ConsumerProject> CreateAsync(byte[] secret, string steps, string from = DockerEngine.BaseImage, string items = "")
    {
        var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, $"""
              <ItemGroup>
                <DockerSecret Include="s" Source="../secret" />
                {items}
              </ItemGroup>
            """, $"""
            FROM {from}
            WORKDIR /app
            COPY . /app
            {steps}
            ENTRYPOINT ["dotnet", "/app/Consumer.dll"]
            """);
        await File.WriteAllBytesAsync(Path.Combine(consumer.Folder, "secret"), secret);
        return consumer;
    }

    private Task<CommandOutcome> PublishAsync(ConsumerProject consumer, params string[] properties) =>
        consumer.PublishAsync(null, [$"DockerCli={DockerEngine.Cli}", "DockerBuildNetwork=none", $"ContainerRepository={_repository}", .. properties]);

    private async Task<string> RunInImageAsync(string script)
    {
        var run = await DockerEngine.RunAsync("run", "--rm", "--network", "none", "--entrypoint", "sh", _repository + ":latest", "-c", script);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        return run.Output.Trim();
    }

    public static IEnumerable<object[]> Leaks =>
    [
        ["a binary certificate copied byte for byte", "binary", "RUN --mount=type=secret,id=s cp /run/secrets/s /app/cert.pfx", "sha256sum < /app/cert.pfx"],
        ["a Latin-1 netrc copied", "latin1", "RUN --mount=type=secret,id=s cp /run/secrets/s /app/netrc", "sha256sum < /app/netrc"],
        ["one field of a JSON key", "json", "RUN --mount=type=secret,id=s sed -n 's/.*\"private_key_id\": \"\\([0-9a-f]*\\)\".*/\\1/p' /run/secrets/s > /app/key-id.txt", "cat /app/key-id.txt"],
        ["base64 wrapped at 76 columns", "token", "RUN --mount=type=secret,id=s (echo header; cat /run/secrets/s; echo trailer) | base64 > /app/blob.b64", "base64 -d /app/blob.b64 | sed -n 2p"],
        ["hex", "token", "RUN --mount=type=secret,id=s hexdump -ve '1/1 \"%.2x\"' /run/secrets/s > /app/token.hex", "cat /app/token.hex"],
        ["the password of a URL", "git-credentials", "RUN --mount=type=secret,id=s sed 's/.*:\\(.*\\)@.*/\\1/' /run/secrets/s > /app/pw.txt", "cat /app/pw.txt"],
    ];

    private static (byte[] Secret, string Expected) Make(string kind)
    {
        switch (kind)
        {
            case "binary":
                var pfx = RandomNumberGenerator.GetBytes(512);
                return (pfx, Convert.ToHexString(SHA256.HashData(pfx)).ToLowerInvariant());
            case "latin1":
                var netrc = Encoding.Latin1.GetBytes($"machine h\nlogin u\npassword Pässwörd-{Random(6)}\n");
                return (netrc, Convert.ToHexString(SHA256.HashData(netrc)).ToLowerInvariant());
            case "json":
                var id = Random(20);
                return (Encoding.UTF8.GetBytes($$"""{"type": "service_account", "private_key_id": "{{id}}", "client_email": "ci@example.iam.example.com"}"""), id);
            case "git-credentials":
                var password = "pw-" + Random(12);
                return (Encoding.UTF8.GetBytes($"https://deploy:{password}@git.example.com\n"), password);
            default:
                var token = "tok-" + Random(16);
                return (Encoding.UTF8.GetBytes(token), token);
        }
    }

    [TestMethod]
    [DynamicData(nameof(Leaks))]
    public async Task A_secret_leaked_in_another_form_is_found_by_the_scan(string leak, string kind, string step, string decode)
    {
        var (secret, expected) = Make(kind);
        if (kind == "token" && leak == "hex")
        {
            expected = Convert.ToHexString(secret).ToLowerInvariant();
        }

        using var consumer = await CreateAsync(secret, step);

        // Ground truth: the image really holds the secret in that form.
        var unscanned = await PublishAsync(consumer, "DockerSecretScan=false");
        Assert.AreEqual(0, unscanned.ExitCode, unscanned.ToString());
        StringAssert.StartsWith(await RunInImageAsync(decode), expected, leak);
        await DockerEngine.RemoveImageAsync(_repository + ":latest");

        var publish = await PublishAsync(consumer);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5001:", leak);
        StringAssert.Contains(publish.Output, "DockerSecret 's'");
        Assert.AreNotEqual(0, (await DockerEngine.RunAsync("image", "inspect", _repository + ":latest")).ExitCode, "the leaking image is tagged");
    }

    [TestMethod]
    public async Task A_value_printed_one_character_a_line_is_masked_and_fails_with_BSEC5005()
    {
        var token = "tok-" + Random(16);
        using var consumer = await CreateAsync(Encoding.UTF8.GetBytes(token), "RUN --mount=type=secret,id=s fold -w1 /run/secrets/s && echo done");

        var publish = await PublishAsync(consumer);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5005:");
        var characters = string.Concat(publish.Output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l.Split(' ')[^1].Length == 1).Select(l => l[^1]));
        Assert.IsFalse(characters.Contains(token[4..12], StringComparison.Ordinal), "the characters of the value, one a line, are in the log");
    }

    [TestMethod]
    public async Task A_final_stage_built_on_the_projects_own_tag_is_still_scanned()
    {
        var token = "tok-" + Random(16);
        using (var clean = await CreateAsync(Encoding.UTF8.GetBytes(token), "RUN --mount=type=secret,id=s test -s /run/secrets/s"))
        {
            var first = await PublishAsync(clean);
            Assert.AreEqual(0, first.ExitCode, first.ToString());
        }

        using var leaky = await CreateAsync(Encoding.UTF8.GetBytes(token), "RUN --mount=type=secret,id=s cp /run/secrets/s /app/again.txt", from: _repository + ":latest");
        var publish = await PublishAsync(leaky);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5001:");
        StringAssert.Contains(publish.Output, "'/app/again.txt'");
    }

    [TestMethod]
    public async Task A_cached_step_that_mounts_a_changed_secret_is_warning_BSEC5008()
    {
        using var consumer = await CreateAsync(Encoding.UTF8.GetBytes("tok-" + Random(16)), "RUN --mount=type=secret,id=s test -s /run/secrets/s && echo ok > /app/ok.txt");
        var first = await PublishAsync(consumer);
        Assert.AreEqual(0, first.ExitCode, first.ToString());
        var same = await PublishAsync(consumer);
        Assert.AreEqual(0, same.ExitCode, same.ToString());
        Assert.IsFalse(same.Output.Contains("warning BSEC5008", StringComparison.Ordinal), "the same secret as the proven build: " + same);

        await File.WriteAllTextAsync(Path.Combine(consumer.Folder, "secret"), "tok-" + Random(16));
        var rotated = await PublishAsync(consumer);

        Assert.AreEqual(0, rotated.ExitCode, rotated.ToString());
        StringAssert.Contains(rotated.Output, "warning BSEC5008:");
        StringAssert.Contains(rotated.Output, "test -s /run/secrets/s");
    }

    [TestMethod]
    public async Task A_label_holding_the_secret_is_masked_in_the_logged_command_line_and_fails_with_BSEC5002()
    {
        var token = "tok-" + Random(16);
        using var consumer = await CreateAsync(Encoding.UTF8.GetBytes(token), "RUN --mount=type=secret,id=s test -s /run/secrets/s", items: $"""<ContainerLabel Include="build.token" Value="{token}" />""");

        var publish = await PublishAsync(consumer);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5002:");
        StringAssert.Contains(publish.Output, "--label build.token=***");
        Assert.IsFalse(publish.Output.Contains(token, StringComparison.Ordinal), "the value is in the log");
    }

    [TestMethod]
    public async Task A_symbolic_link_to_the_secret_and_another_PEM_key_in_the_context_are_no_false_alarm()
    {
        static string Pem() => "-----BEGIN PRIVATE KEY-----\n" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(300), Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n-----END PRIVATE KEY-----\n";
        using var consumer = await CreateAsync(Encoding.UTF8.GetBytes(Pem()), "RUN --mount=type=secret,id=s test -s /run/secrets/s");
        var context = Path.Combine(consumer.Folder, "context");
        Directory.CreateDirectory(context);
        File.CreateSymbolicLink(Path.Combine(context, "key-link.pem"), Path.Combine(consumer.Folder, "secret"));
        await File.WriteAllTextAsync(Path.Combine(context, "someone-elses.pem"), Pem());

        var publish = await PublishAsync(consumer, $"DockerfileContext={context}");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "none found");
        Assert.AreEqual("link", await RunInImageAsync("test -L /app/key-link.pem && echo link"), "docker sent the link, not the key");
    }

    [TestMethod]
    public async Task After_a_leak_DockerBuildPruneOnLeak_removes_the_build_cache()
    {
        using var consumer = await CreateAsync(Encoding.UTF8.GetBytes("tok-" + Random(16)), "RUN --mount=type=secret,id=s cp /run/secrets/s /app/copy.txt");

        var publish = await PublishAsync(consumer, "DockerBuildPruneOnLeak=true");

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5001:");
        StringAssert.Contains(publish.Output, "removed the build cache");
        var again = await PublishAsync(consumer, "DockerSecretScan=false");
        Assert.AreEqual(0, again.ExitCode, again.ToString());
        var step = again.Output.Split('\n').Select(l => l.Trim()).First(l => l.Contains("] RUN --mount=type=secret,id=s cp /run/secrets/s", StringComparison.Ordinal));
        var vertex = step.Split(' ')[0];
        Assert.IsFalse(again.Output.Split('\n').Any(l => l.Trim() == vertex + " CACHED"), "the leaky step came back from the cache: " + again);
    }

    [TestMethod]
    public async Task Ctrl_C_during_the_scan_leaves_the_unproven_image_untagged()
    {
        // 200 MB of random data keeps the scan busy for seconds; Ctrl+C comes as the engine writes the image.
        using var consumer = await CreateAsync(Encoding.UTF8.GetBytes("tok-" + Random(16)), "RUN head -c 200m /dev/urandom > /app/data.bin\nRUN --mount=type=secret,id=s test -s /run/secrets/s");

        var publish = await consumer.RunDotnetAsync(
            "publish",
            null,
            [$"-p:DockerCli={DockerEngine.Cli}", "-p:DockerBuildNetwork=none", $"-p:ContainerRepository={_repository}"],
            line => line.Contains("writing image sha256:", StringComparison.Ordinal));

        Assert.IsNotNull(publish.RanAfterInterrupt, $"the build never wrote the image: {publish}");
        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        Assert.IsFalse(publish.Output.Contains("BuildSecrets: built image", StringComparison.Ordinal), "the publish went on after Ctrl+C: " + publish);
        Assert.AreNotEqual(0, (await DockerEngine.RunAsync("image", "inspect", _repository + ":latest")).ExitCode, "a cancelled publish left the unproven image tagged");
    }

    [TestMethod]
    public async Task A_leaking_image_exports_no_build_cache()
    {
        var engine = TestEngine.Named(TestEngine.Docker26);
        await engine.EnsureReadyAsync();
        var cache = Path.Combine(Repository.NewTempFolder("cache"), "exported");
        using var consumer = await CreateAsync(Encoding.UTF8.GetBytes("tok-" + Random(16)), "RUN --mount=type=secret,id=s cp /run/secrets/s /app/copy.txt");

        var publish = await consumer.PublishAsync(
            engine.PublishEnvironment(),
            $"DockerCli={engine.Cli}", "DockerBuildNetwork=none", $"ContainerRepository={_repository}", $"DockerBuildCacheTo=type=local%2Cdest={cache}");

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5001:");
        Assert.IsFalse(Directory.Exists(cache) && Directory.EnumerateFileSystemEntries(cache).Any(), "the cache of a leaking image was exported");
    }
}
