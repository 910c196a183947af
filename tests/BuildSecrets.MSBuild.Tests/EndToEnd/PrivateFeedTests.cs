using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// samples/PrivateFeed against a real engine: a NuGet v3 feed on 127.0.0.1 that requires basic
/// authentication serves BuildSecrets.MSBuild and Contoso.Greetings (which no other feed has); the
/// multi-stage Dockerfile restores from it in an SDK stage (buildsecrets-test/sdk:1) with the
/// generated NuGet.Config mounted as a secret, publishes, and copies the output into a runtime stage.
/// </summary>
[TestClass]
public sealed class PrivateFeedTests
{
    private const string Sample = "PrivateFeed";
    private const string SampleFeedUrl = "http://127.0.0.1:5555/v3/index.json";

    private static readonly Lazy<Task<string>> FeedFolder = new(PackFeedAsync);

    private readonly string _password = "feed-canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/private-feed-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _)
    {
        await DockerEngine.EnsureReadyAsync();
        var sdk = await DockerEngine.RunAsync("image", "inspect", "--format", "{{.Id}}", DockerEngine.SdkImage);
        Assert.AreEqual(0, sdk.ExitCode, $"The SDK image {DockerEngine.SdkImage} is missing: run eng/setup-engine.sh. {sdk}");
    }

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    /// <summary>The private feed's packages: Contoso.Greetings, packed from samples/PrivateFeedPackage, and BuildSecrets.MSBuild.</summary>
    private static async Task<string> PackFeedAsync()
    {
        var folder = Repository.NewTempFolder("private-feed");
        var pack = await Commands.RunAsync(
            "dotnet",
            ["pack", Path.Combine(Repository.Root, "samples", "PrivateFeedPackage", "Contoso.Greetings.csproj"), "-c", "Release", "-o", folder, "-nodeReuse:false", "-tl:off"],
            Repository.Root,
            new Dictionary<string, string?> { ["NUGET_PACKAGES"] = PackageFeed.PackagesFolder },
            Path.Combine(Repository.LogFolder("pack"), "pack-private-feed.log"));
        Assert.AreEqual(0, pack.ExitCode, $"dotnet pack of Contoso.Greetings failed: {pack}");
        var package = await PackageFeed.PackageFileAsync();
        File.Copy(package, Path.Combine(folder, Path.GetFileName(package)));
        return folder;
    }

    private async Task<(NuGetFeedServer Server, ConsumerProject Sample)> StartAsync()
    {
        var server = new NuGetFeedServer(await FeedFolder.Value, "feed-user", _password);
        var sample = ConsumerProject.FromSample(TestContext.TestName!, Sample, Sample);
        var config = Path.Combine(sample.Folder, Sample, "NuGet.config");
        File.WriteAllText(config, File.ReadAllText(config).Replace(SampleFeedUrl, server.Url, StringComparison.Ordinal));
        return (server, sample);
    }

    private Task<CommandOutcome> PublishAsync(ConsumerProject sample, IReadOnlyDictionary<string, string?>? environment = null, bool restore = true) =>
        sample.RunDotnetAsync(
            "publish",
            environment,
            ["-v:diag", $"-p:DockerCli={DockerEngine.Cli}", $"-p:ContainerRepository={_repository}", .. restore ? Array.Empty<string>() : ["--no-restore"]]);

    /// <summary>Restores on this machine with NuGet's variable (for credentials this machine's NuGet cannot use itself).</summary>
    private async Task RestoreOnTheHostAsync(ConsumerProject sample)
    {
        var restore = await sample.RunDotnetAsync("msbuild", new Dictionary<string, string?> { ["NuGetPackageSourceCredentials_private"] = $"Username=feed-user;Password={_password}" }, ["-t:Restore"]);
        Assert.AreEqual(0, restore.ExitCode, restore.ToString());
    }

    [TestMethod]
    [DataRow("packageSourceCredentials")]
    [DataRow("NuGetPackageSourceCredentials_private")]
    [DataRow("VSS_NUGET_EXTERNAL_FEED_ENDPOINTS")]
    public async Task The_sample_restores_from_the_private_feed_inside_the_image_build_and_the_credentials_stay_out_of_the_image(string credentials)
    {
        var (server, sample) = await StartAsync();
        using var _ = server;
        using var __ = sample;
        Dictionary<string, string?>? environment = null;
        if (credentials == "packageSourceCredentials")
        {
            // Beside the solution folder, outside the build context: NuGet's hierarchy still reads it.
            sample.WriteOutsideFile("NuGet.Config", $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSourceCredentials>
                    <private>
                      <add key="Username" value="feed-user" />
                      <add key="ClearTextPassword" value="{_password}" />
                    </private>
                  </packageSourceCredentials>
                </configuration>
                """);
        }
        else if (credentials == "NuGetPackageSourceCredentials_private")
        {
            environment = new() { ["NuGetPackageSourceCredentials_private"] = $"Username=feed-user;Password={_password}" };
        }
        else
        {
            // The Azure Artifacts credential provider is not installed here: this machine restores with
            // NuGet's variable, the image build with the endpoints alone.
            await RestoreOnTheHostAsync(sample);
            environment = new() { ["VSS_NUGET_EXTERNAL_FEED_ENDPOINTS"] = $"{{\"endpointCredentials\":[{{\"endpoint\":\"{server.Url}\",\"username\":\"feed-user\",\"password\":\"{_password}\"}}]}}" };
        }

        var publish = await PublishAsync(sample, environment, restore: credentials != "VSS_NUGET_EXTERNAL_FEED_ENDPOINTS");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "--secret id=nugetconfig,env=BUILDSECRETS_SECRET_0");
        StringAssert.Contains(publish.Output, $"the NuGet source 'private' ({server.Url}) gets credentials from " + credentials switch
        {
            "packageSourceCredentials" => "packageSourceCredentials in",
            "NuGetPackageSourceCredentials_private" => "the variable " + credentials,
            _ => credentials,
        });
        StringAssert.Contains(publish.Output, "none found");
        Assert.IsTrue(server.AuthorizedRequests > 0, "the feed was never used");

        var image = _repository + ":latest";
        var run = await DockerEngine.RunAsync("run", "--rm", "--network", "none", image);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual("Hello from the private feed", run.Output.Trim());

        Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the diagnostic publish log");
        await Binlogs.AssertLastPublishHasNoAsync(TestContext.TestName!, _password, "the password");
        await DockerEngine.AssertImageHasNoAsync(image, _password, "the password");
        foreach (var file in Directory.EnumerateFiles(sample.TempFolder, "*", SearchOption.AllDirectories))
        {
            Assert.IsFalse(File.ReadAllText(file).Contains(_password, StringComparison.Ordinal), $"the password is in a temp file: {file}");
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(sample.Folder, Sample), "*", SearchOption.AllDirectories))
        {
            Assert.IsFalse(File.ReadAllText(file).Contains(_password, StringComparison.Ordinal), $"the password is in a file of the solution: {file}");
        }
    }

    [TestMethod]
    [DataRow(TestEngine.Docker26)]
    [DataRow(TestEngine.Podman)]
    public async Task On_the_other_engines_the_sample_restores_and_the_password_reaches_no_layer_log_or_exported_cache(string engineName)
    {
        var engine = TestEngine.Named(engineName);
        await engine.EnsureReadyAsync();
        var (server, sample) = await StartAsync();
        using var _ = server;
        using var __ = sample;
        var cache = Path.Combine(sample.Folder, "exported-cache");
        string[] properties = engine.HasBuildx ? [$"-p:DockerBuildCacheTo=type=local%2Cdest={cache}"] : [];

        var publish = await sample.RunDotnetAsync(
            "publish",
            engine.PublishEnvironment(new Dictionary<string, string?> { ["NuGetPackageSourceCredentials_private"] = $"Username=feed-user;Password={_password}" }),
            ["-v:diag", $"-p:DockerCli={engine.Cli}", $"-p:ContainerRepository={_repository}", .. properties]);

        try
        {
            Assert.AreEqual(0, publish.ExitCode, publish.ToString());
            StringAssert.Contains(publish.Output, "none found");
            Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the publish log");
            CollectionAssert.AreEqual(Array.Empty<string>(), (await engine.FindInSavedImageAsync(_repository + ":latest", _password)).ToArray(), "the password is in the image");
            if (engine.HasBuildx)
            {
                Assert.IsTrue(Directory.Exists(cache) && Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Any(), "no cache was exported");
                CollectionAssert.AreEqual(Array.Empty<string>(), FindInFolder(cache, _password), "the password is in the exported cache");
            }
        }
        finally
        {
            await engine.RemoveImageAsync(_repository + ":latest");
        }
    }

    /// <summary>The files of a folder (an exported cache: plain and gzip blobs) that hold the text, read whole or unzipped.</summary>
    private static string[] FindInFolder(string folder, string text)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(file =>
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.AsSpan().IndexOf(needle) >= 0)
            {
                return true;
            }

            if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
            {
                return false;
            }

            using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
            var inflated = new MemoryStream();
            gzip.CopyTo(inflated);
            return inflated.ToArray().AsSpan().IndexOf(needle) >= 0;
        }).ToArray();
    }

    [TestMethod]
    public async Task The_same_restore_without_the_credentials_fails_with_401()
    {
        var (server, sample) = await StartAsync();
        using var _ = server;
        using var __ = sample;
        // The restore step reads a NuGet.Config with the same source and no credentials.
        var dockerfile = Path.Combine(sample.ProjectFolder, "Dockerfile");
        var original = File.ReadAllText(dockerfile);
        var mounted = "RUN --mount=type=secret,id=nugetconfig dotnet restore \"PrivateFeed/PrivateFeed.csproj\" --configfile /run/secrets/nugetconfig";
        Assert.IsTrue(original.Contains(mounted, StringComparison.Ordinal), "the sample's restore step changed");
        File.WriteAllText(dockerfile, original.Replace(
            mounted,
            $"""RUN printf '<configuration><packageSources><clear /><add key="private" value="{server.Url}" allowInsecureConnections="true" /></packageSources></configuration>' > /tmp/no-credentials.config && dotnet restore "PrivateFeed/PrivateFeed.csproj" --configfile /tmp/no-credentials.config""",
            StringComparison.Ordinal));

        var publish = await PublishAsync(sample, new Dictionary<string, string?> { ["NuGetPackageSourceCredentials_private"] = $"Username=feed-user;Password={_password}" });

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC3001");
        StringAssert.Contains(publish.Output, "401");
        StringAssert.Contains(publish.Output, "RUN printf '<configuration>", "the sources (not secret) were masked in the log");
        Assert.IsFalse(publish.Output.Contains("BSEC5005", StringComparison.Ordinal), "printing the sources is not printing the secret");
        Assert.IsTrue(server.UnauthorizedRequests > 0, "the feed never refused a request");
        Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the publish log");
        var image = await DockerEngine.RunAsync("image", "inspect", _repository + ":latest");
        Assert.AreNotEqual(0, image.ExitCode, "a failed build left the image tagged");
    }

    [TestMethod]
    public async Task Without_credentials_on_the_machine_the_publish_stops_with_BSEC1032_before_docker_starts()
    {
        var (server, sample) = await StartAsync();
        using var _ = server;
        using var __ = sample;

        // This machine's restore needs the feed too: it runs first, with the credentials; the publish has none.
        await RestoreOnTheHostAsync(sample);
        var publish = await PublishAsync(sample, restore: false);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC1032");
        StringAssert.Contains(publish.Output, "'private' (" + server.Url + ")");
        Assert.IsFalse(publish.Output.Contains("building image", StringComparison.Ordinal), "docker was started");
    }
}
