using BuildSecrets.MSBuild.Tests.Infrastructure;
using BuildSecrets.Samples;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>ContainerRegistry: the tutorial image pushed to a real registry on 127.0.0.1 and pulled back.</summary>
[TestClass]
public sealed class RegistryTests
{
    private readonly string _password = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/pushed-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    /// <summary>The tutorial's consumer, its netrc beside it, with more of the project file.</summary>
    private async Task<ConsumerProject> CreateTutorialAsync(BasicAuthServer server, string moreProject)
    {
        var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, $"""
              <ItemGroup>
                <DockerSecret Include="netrc" Source="../netrc" />
                <DockerBuildArg Include="MESSAGE_URL" Value="{server.Url}" />
              </ItemGroup>
            {moreProject}
            """, TutorialTests.Dockerfile);
        consumer.WriteOutsideFile("netrc", $"machine 127.0.0.1 login admin password {_password}\n");
        return consumer;
    }

    [TestMethod]
    public async Task The_tutorial_image_is_pushed_after_the_scan_and_pulled_back_with_its_digest()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await CreateTutorialAsync(server, """
              <Target Name="ShowDigest" AfterTargets="DockerBuild">
                <Message Importance="high" Text="DIGEST: $(DockerImageDigest)" />
              </Target>
            """);
        var reference = $"{registry.Address}/{_repository}:latest";

        try
        {
            var publish = await consumer.PublishAsync(
                null, $"DockerCli={DockerEngine.Cli}", "DockerBuildNetwork=host", $"ContainerRepository={_repository}", $"ContainerRegistry={registry.Address}");

            Assert.AreEqual(0, publish.ExitCode, publish.ToString());
            StringAssert.Contains(publish.Output, $"BuildSecrets: pushed '{reference}' (sha256:");
            var digest = publish.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("DIGEST: ", StringComparison.Ordinal)).Substring("DIGEST: ".Length);
            StringAssert.StartsWith(digest, "sha256:");

            Assert.AreEqual(0, (await DockerEngine.RunAsync("image", "rm", reference)).ExitCode);
            var pull = await DockerEngine.RunAsync("pull", $"{registry.Address}/{_repository}@{digest}");
            Assert.AreEqual(0, pull.ExitCode, pull.ToString());
            var run = await DockerEngine.RunAsync("run", "--rm", "--network", "none", $"{registry.Address}/{_repository}@{digest}");
            Assert.AreEqual("Hello, Admin", run.Output.Trim(), run.ToString());
        }
        finally
        {
            await DockerEngine.RemoveImageAsync(reference);
            await DockerEngine.RemoveImageAsync($"{registry.Address}/{_repository}");
        }
    }

    [TestMethod]
    public async Task Another_machine_reuses_the_pushed_layers_through_DockerBuildCacheFrom()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await CreateTutorialAsync(server, """
              <ItemGroup>
                <DockerBuildArg Include="BUILDKIT_INLINE_CACHE" Value="1" />
              </ItemGroup>
            """);
        var reference = $"{registry.Address}/{_repository}:latest";
        string[] properties = [$"DockerCli={DockerEngine.Cli}", "DockerBuildNetwork=host", $"ContainerRepository={_repository}", $"ContainerRegistry={registry.Address}"];

        try
        {
            var first = await consumer.PublishAsync(null, properties);
            Assert.AreEqual(0, first.ExitCode, first.ToString());
            Assert.AreEqual(1, server.AuthorizedRequests);

            // A machine that has neither the image nor any build cache.
            await DockerEngine.RemoveImageAsync(reference);
            Assert.AreEqual(0, (await DockerEngine.RunAsync("builder", "prune", "--all", "--force")).ExitCode);

            var second = await consumer.PublishAsync(null, [.. properties, $"DockerBuildCacheFrom={reference}"]);

            Assert.AreEqual(0, second.ExitCode, second.ToString());
            StringAssert.Contains(second.Output, $"--cache-from {reference}");
            Assert.AreEqual(1, server.AuthorizedRequests, "the download step ran again instead of coming from the registry's cache");
            var run = await DockerEngine.RunAsync("run", "--rm", "--network", "none", reference);
            Assert.AreEqual("Hello, Admin", run.Output.Trim(), run.ToString());
        }
        finally
        {
            await DockerEngine.RemoveImageAsync(reference);
        }
    }
}
