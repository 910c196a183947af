using System.Text.Json;
using BuildSecrets.MSBuild.Tests.Infrastructure;
using BuildSecrets.Samples;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// The same scenarios on each engine users have: Docker 20.10 (classic store, docker build),
/// Docker 26 (buildx, containerd image store, OCI 'docker save') and Podman. A consumer picks the
/// engine through DockerCli and the client's environment (DOCKER_HOST, DOCKER_CONFIG, CONTAINERS_CONF).
/// </summary>
[TestClass]
public sealed class EngineTests
{
    private readonly string _password = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/engine-" + Guid.NewGuid().ToString("N").Substring(0, 12);
    private readonly List<(TestEngine Engine, string Reference)> _created = [];

    public TestContext TestContext { get; set; } = null!;

    /// <summary>Every engine, for the scenarios that run on all of them.</summary>
    public static IEnumerable<object[]> Engines => [[TestEngine.Docker20], [TestEngine.Docker26], [TestEngine.Podman]];

    [TestCleanup]
    public async Task RemoveImages()
    {
        foreach (var (engine, reference) in _created)
        {
            await engine.RemoveImageAsync(reference);
        }
    }

    private string Netrc => $"machine 127.0.0.1\nlogin admin\npassword {_password}\n";

    private async Task<TestEngine> EngineAsync(string name, params string[] references)
    {
        var engine = TestEngine.Named(name);
        await engine.EnsureReadyAsync();
        _created.Add((engine, _repository + ":latest"));
        _created.AddRange(references.Select(r => (engine, r)));
        return engine;
    }

    /// <summary>The tutorial's consumer, its netrc in an environment variable (Podman gets it through a 0600 file), with more of the project file.</summary>
    private async Task<ConsumerProject> CreateTutorialAsync(string url, string moreProject = "", string dockerfile = TutorialTests.Dockerfile) =>
        await ConsumerProject.CreateAsync(TestContext.TestName!, $"""
              <ItemGroup>
                <DockerSecret Include="netrc" EnvironmentVariable="ENGINE_NETRC" />
                <DockerBuildArg Include="MESSAGE_URL" Value="{url}" />
              </ItemGroup>
            {moreProject}
            """, dockerfile);

    private async Task<CommandOutcome> PublishAsync(TestEngine engine, ConsumerProject consumer, IReadOnlyDictionary<string, string?>? environment, params string[] properties) =>
        await consumer.PublishAsync(
            engine.PublishEnvironment(new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { ["ENGINE_NETRC"] = Netrc }),
            // On the command line MSBuild splits -p: values at ',' too (in a project file they stay whole).
            [$"DockerCli={engine.Cli}", "DockerBuildNetwork=host", $"ContainerRepository={_repository}", .. properties.Select(p => p.Replace(",", "%2C", StringComparison.Ordinal))]);

    [TestMethod]
    [DynamicData(nameof(Engines))]
    public async Task The_tutorial_prints_Hello_Admin_and_leaves_no_trace_of_the_password(string engineName)
    {
        var engine = await EngineAsync(engineName);
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await CreateTutorialAsync(server.Url);
        // The metadata file is buildx's; the other clients refuse it (BSEC2006, tested apart).
        var metadata = Path.Combine(consumer.Folder, "metadata.json");
        string[] properties = engine.HasBuildx ? [$"DockerBuildMetadataFile={metadata}"] : [];

        var publish = await PublishAsync(engine, consumer, null, properties);

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, engineName switch
        {
            TestEngine.Docker26 => "with docker buildx build (client 26.1.5",
            TestEngine.Podman => "with podman build",
            _ => "with docker build (DOCKER_BUILDKIT=1) (client 20.10",
        });
        StringAssert.Contains(publish.Output, "1 base layer(s) left out");
        StringAssert.Contains(publish.Output, "none found");
        Assert.AreEqual(1, server.AuthorizedRequests, "the build step did not authenticate to the server exactly once");
        Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the publish log");
        CollectionAssert.AreEqual(
            Array.Empty<string>(),
            Directory.EnumerateFileSystemEntries(consumer.TempFolder, "buildsecrets-*", SearchOption.AllDirectories).ToArray(),
            "a secret file was left in the temp folder");

        var image = _repository + ":latest";
        var run = await engine.RunContainerAsync(image);
        Assert.AreEqual("Hello, Admin", run.Output.Trim(), run.ToString());
        var cat = await engine.RunContainerAsync(image, "cat", "/root/.netrc");
        Assert.AreNotEqual(0, cat.ExitCode, "/root/.netrc is in the image");
        CollectionAssert.AreEqual(Array.Empty<string>(), (await engine.FindInSavedImageAsync(image, _password)).ToArray(), "the password is in the saved image");

        if (engine.HasBuildx)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(metadata));
            var digest = document.RootElement.GetProperty("containerimage.digest").GetString();
            StringAssert.StartsWith(digest, "sha256:");
            StringAssert.Contains(document.RootElement.GetProperty("image.name").GetString(), _repository);
            var id = await engine.RunAsync("image", "inspect", "--format", "{{.Id}}", image);
            Assert.AreEqual(digest, id.Output.Trim(), "with the containerd image store the image id is the digest buildx reports");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Engines))]
    public async Task Publishing_again_builds_nothing_when_nothing_changed_and_scans_only_new_layers_after_a_change(string engineName)
    {
        var engine = await EngineAsync(engineName);
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await CreateTutorialAsync(server.Url);
        var first = await PublishAsync(engine, consumer, null);
        Assert.AreEqual(0, first.ExitCode, first.ToString());
        StringAssert.Contains(first.Output, "BuildSecrets: scanned image", first.ToString());

        var again = await PublishAsync(engine, consumer, null);

        Assert.AreEqual(0, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Output, "is up to date", again.ToString());
        Assert.IsFalse(again.Output.Contains("BuildSecrets: building image", StringComparison.Ordinal), again.ToString());
        Assert.IsFalse(again.Output.Contains("BuildSecrets: scanned image", StringComparison.Ordinal), again.ToString());
        // Docker's daemon is asked on its unix socket (no client process); Podman, which has none, through its client.
        StringAssert.Contains(again.Output, engine.AskedLine, again.ToString());

        consumer.WriteProjectFile("Program.cs", File.ReadAllText(Path.Combine(consumer.ProjectFolder, "Program.cs")) + "\n// changed\n");
        var changed = await PublishAsync(engine, consumer, null);

        Assert.AreEqual(0, changed.ExitCode, changed.ToString());
        StringAssert.Contains(changed.Output, "BuildSecrets: building image", changed.ToString());
        var scanned = changed.Output.Split('\n').Single(l => l.Contains("BuildSecrets: scanned image", StringComparison.Ordinal));
        // The base image's layer is left out, unread; BuildKit's WORKDIR layer was proven clean by the
        // first publish (Buildah makes none); COPY and RUN made new layers.
        StringAssert.Contains(scanned, engineName == TestEngine.Podman ? "2 layer(s) added on top of the base image (1 base layer(s) left out, 0 proven clean" : "2 layer(s) added on top of the base image (1 base layer(s) left out, 1 proven clean", scanned);
        Assert.AreEqual(2, server.AuthorizedRequests, "the download step ran once a build that was not cached");
        CollectionAssert.AreEqual(Array.Empty<string>(), (await engine.FindInSavedImageAsync(_repository + ":latest", _password)).ToArray(), "the password is in the saved image");
    }

    [TestMethod]
    [DynamicData(nameof(Engines))]
    public async Task A_secret_copied_into_a_layer_is_BSEC5001_and_no_image_is_left_holding_it(string engineName)
    {
        var engine = await EngineAsync(engineName);
        var label = "buildsecrets.test=" + Guid.NewGuid().ToString("N");
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, $"""
              <ItemGroup>
                <DockerSecret Include="netrc" EnvironmentVariable="ENGINE_NETRC" />
                <ContainerLabel Include="{label.Split('=')[0]}" Value="{label.Split('=')[1]}" />
              </ItemGroup>
            """, $"""
            FROM {DockerEngine.BaseImage}
            WORKDIR /app
            COPY . /app
            RUN --mount=type=secret,id=netrc cp /run/secrets/netrc /app/netrc.txt # {label}
            RUN rm /app/netrc.txt
            """);
        var before = await engine.AllImageIdsAsync();

        var publish = await PublishAsync(engine, consumer, null);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5001:");
        StringAssert.Contains(publish.Output, "'/app/netrc.txt'");
        Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the publish log");
        var imageId = TestEngine.WithoutAlgorithm(File.ReadAllText(Path.Combine(consumer.ProjectFolder, "obj", "Release", "net10.0", "buildsecrets", "image-id.txt")).Trim());
        Assert.AreNotEqual(0, (await engine.RunAsync("image", "inspect", engine.LocalName(_repository + ":latest"))).ExitCode, "the leaking image is still tagged");
        Assert.AreNotEqual(0, (await engine.RunAsync("image", "inspect", imageId)).ExitCode, "the leaking image is still in the engine, untagged");
        CollectionAssert.DoesNotContain((await engine.AllImageIdsAsync()).ToArray(), imageId, "'images --all' lists the leaking image");
        var labelled = await engine.RunAsync("images", "--all", "--quiet", "--filter", "label=" + label);
        Assert.AreEqual(string.Empty, labelled.Output.Trim(), "an image of this build (dangling or not) is left: " + labelled);
        var digests = await engine.RunAsync("image", "ls", "--digests", "--all");
        Assert.IsFalse(digests.Output.Contains(_repository, StringComparison.Ordinal), digests.ToString());
        // No image made since (an intermediate image of Podman's --layers cache, a dangling one) has the leaking step.
        foreach (var id in (await engine.AllImageIdsAsync()).Except(before))
        {
            var history = await engine.RunAsync("image", "history", "--no-trunc", id);
            Assert.IsFalse(history.Output.Contains(label, StringComparison.Ordinal), $"the image {id} holds the leaking layer: {history}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Engines))]
    public async Task A_RUN_step_that_prints_the_secret_is_BSEC5005_and_the_image_is_not_tagged(string engineName)
    {
        var engine = await EngineAsync(engineName);
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, """
              <ItemGroup>
                <DockerSecret Include="netrc" EnvironmentVariable="ENGINE_NETRC" />
              </ItemGroup>
            """, $"""
            FROM {DockerEngine.BaseImage}
            RUN --mount=type=secret,id=netrc echo "netrc is $(cat /run/secrets/netrc | tr '\n' ' ')" # {_repository}: a step no cache has
            """);

        var publish = await PublishAsync(engine, consumer, null);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5005:");
        Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the publish log");
        Assert.AreNotEqual(0, (await engine.RunAsync("image", "inspect", engine.LocalName(_repository + ":latest"))).ExitCode, "the image is still tagged");
    }

    [TestMethod]
    [DynamicData(nameof(Engines))]
    public async Task The_image_is_pushed_after_the_scan_and_pulled_back(string engineName)
    {
        await using var registry = await LocalRegistry.StartAsync();
        var reference = $"{registry.Address}/{_repository}:latest";
        var engine = await EngineAsync(engineName, reference);
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await CreateTutorialAsync(server.Url, """
              <Target Name="ShowDigest" AfterTargets="DockerBuild">
                <Message Importance="high" Text="DIGEST: $(DockerImageDigest)" />
              </Target>
            """);
        var environment = new Dictionary<string, string?> { ["CONTAINERS_REGISTRIES_CONF"] = registry.PodmanRegistriesConf };

        var publish = await PublishAsync(engine, consumer, environment, $"ContainerRegistry={registry.Address}");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, $"BuildSecrets: pushed '{reference}' (");
        var digest = publish.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("DIGEST:", StringComparison.Ordinal)).Substring("DIGEST:".Length).Trim();
        // Pulled back by digest into an engine that never had it (Podman's image is checked in Docker 20.10, which can run it).
        var puller = engine.IsPodman ? TestEngine.Named(TestEngine.Docker20) : engine;
        await engine.RemoveImageAsync(reference);
        StringAssert.StartsWith(digest, "sha256:", "DockerImageDigest is empty");
        var pulled = $"{registry.Address}/{_repository}@{digest}";
        _created.Add((puller, pulled));

        var pull = await puller.RunAsync("pull", pulled);
        Assert.AreEqual(0, pull.ExitCode, pull.ToString());
        var run = await puller.RunContainerAsync(pulled);
        Assert.AreEqual("Hello, Admin", run.Output.Trim(), run.ToString());
    }

    [TestMethod]
    [DataRow(TestEngine.Docker20, "inline")]
    [DataRow(TestEngine.Docker26, "registry")]
    [DataRow(TestEngine.Docker26, "local")]
    [DataRow(TestEngine.Podman, "registry")]
    public async Task Another_machine_reuses_the_cached_download_step(string engineName, string cache)
    {
        await using var registry = await LocalRegistry.StartAsync();
        var cacheReference = engineName == TestEngine.Podman ? $"{registry.Address}/{_repository}-cache" : $"{registry.Address}/{_repository}:cache";
        var engine = await EngineAsync(engineName, $"{registry.Address}/{_repository}:latest");
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await CreateTutorialAsync(server.Url, cache == "inline" ? """
              <ItemGroup>
                <DockerBuildArg Include="BUILDKIT_INLINE_CACHE" Value="1" />
              </ItemGroup>
            """ : string.Empty);
        var folder = Path.Combine(consumer.Folder, "cache");
        string[] properties = cache switch
        {
            // Docker 20.10 without buildx: the cache travels inline in the pushed image.
            "inline" => [$"ContainerRegistry={registry.Address}"],
            "registry" when engine.IsPodman => [$"DockerBuildCacheTo={cacheReference}", $"DockerBuildCacheFrom={cacheReference}"],
            "registry" => [$"DockerBuildCacheTo=type=registry,ref={cacheReference},mode=max", $"DockerBuildCacheFrom=type=registry,ref={cacheReference}"],
            _ => [$"DockerBuildCacheTo=type=local,dest={folder},mode=max", $"DockerBuildCacheFrom=type=local,src={folder}"],
        };
        var environment = new Dictionary<string, string?> { ["CONTAINERS_REGISTRIES_CONF"] = registry.PodmanRegistriesConf };

        var first = await PublishAsync(engine, consumer, environment, properties);
        Assert.AreEqual(0, first.ExitCode, first.ToString());
        Assert.AreEqual(1, server.AuthorizedRequests);

        // A machine that has neither the image nor any build cache.
        await engine.RemoveImageAsync(_repository + ":latest");
        await engine.RemoveImageAsync($"{registry.Address}/{_repository}:latest");
        if (!engine.IsPodman)
        {
            var prune = await engine.RunAsync("builder", "prune", "--all", "--force");
            Assert.AreEqual(0, prune.ExitCode, prune.ToString());
        }

        string[] again = cache == "inline" ? [.. properties, $"DockerBuildCacheFrom={registry.Address}/{_repository}:latest"] : properties;
        var second = await PublishAsync(engine, consumer, environment, again);

        Assert.AreEqual(0, second.ExitCode, second.ToString());
        Assert.AreEqual(1, server.AuthorizedRequests, "the download step ran again instead of coming from the cache");
        var run = await engine.RunContainerAsync(cache == "inline" ? $"{registry.Address}/{_repository}:latest" : _repository + ":latest");
        Assert.AreEqual("Hello, Admin", run.Output.Trim(), run.ToString());
    }

    [TestMethod]
    public async Task Two_platforms_build_on_the_containerd_store_without_emulation_and_are_scanned()
    {
        // The secret step runs once, on the build machine's platform; the final stage runs nothing,
        // so linux/386 needs no emulator.
        var engine = await EngineAsync(TestEngine.Docker26);
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await CreateTutorialAsync(server.Url, dockerfile: $"""
            FROM --platform=$BUILDPLATFORM {DockerEngine.BaseImage} AS fetch
            ARG MESSAGE_URL
            RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n "$MESSAGE_URL" -o /message.txt
            FROM scratch
            COPY --from=fetch /message.txt /app/message.txt
            """);

        var publish = await PublishAsync(engine, consumer, null, "DockerBuildPlatforms=linux/amd64%3Blinux/386");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "--platform linux/amd64,linux/386");
        StringAssert.Contains(publish.Output, "none found");
        Assert.AreEqual(1, server.AuthorizedRequests, "the download step did not run exactly once for both platforms");
        var image = _repository + ":latest";
        Assert.AreNotEqual(0, (await engine.FindInSavedImageAsync(image, "\"architecture\":\"386\"")).Count, "the saved image has no linux/386 config");
        Assert.AreNotEqual(0, (await engine.FindInSavedImageAsync(image, "\"architecture\":\"amd64\"")).Count, "the saved image has no linux/amd64 config");
        CollectionAssert.AreEqual(Array.Empty<string>(), (await engine.FindInSavedImageAsync(image, _password)).ToArray(), "the password is in the saved image");
    }

    [TestMethod]
    public async Task Zstd_layers_are_BSEC5009_and_the_image_is_not_left_tagged()
    {
        var engine = await EngineAsync(TestEngine.Docker26);
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, """
              <ItemGroup>
                <DockerSecret Include="netrc" EnvironmentVariable="ENGINE_NETRC" />
              </ItemGroup>
            """, $"""
            FROM {DockerEngine.BaseImage}
            RUN --mount=type=secret,id=netrc test -s /run/secrets/netrc && echo checked > /checked.txt
            """);

        var publish = await PublishAsync(engine, consumer, null, "DockerBuildOptions=--output=type=docker,compression=zstd,force-compression=true");

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC5009:");
        StringAssert.Contains(publish.Output, "is zstd-compressed");
        Assert.AreNotEqual(0, (await engine.RunAsync("image", "inspect", _repository + ":latest")).ExitCode, "the unscanned image is still tagged");
    }
}
