using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// Projects that would leak a random canary secret, each published for real against the engine:
/// every one fails with its own code, the canary reaches no log, and no image stays tagged.
/// </summary>
[TestClass]
public sealed class LeakyProjectTests
{
    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/leaky-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    private static string Dockerfile(string steps) => $"""
        FROM {DockerEngine.BaseImage}
        WORKDIR /app
        COPY . /app
        {steps}
        ENTRYPOINT ["dotnet", "/app/Consumer.dll"]
        """;

    private async Task<CommandOutcome> PublishAsync(ConsumerProject consumer) =>
        await consumer.PublishAsync(
            new Dictionary<string, string?> { ["LEAKY_TOKEN"] = _canary },
            $"DockerCli={DockerEngine.Cli}",
            "DockerBuildNetwork=none",
            $"ContainerRepository={_repository}");

    private async Task<ConsumerProject> CreateAsync(string items, string steps, string? properties = null) =>
        await ConsumerProject.CreateAsync(TestContext.TestName!, $"""
              <PropertyGroup>{properties}</PropertyGroup>
              <ItemGroup>
                {items}
              </ItemGroup>
            """, Dockerfile(steps));

    private async Task AssertRejectedAsync(CommandOutcome publish, string code, bool dockerStarted)
    {
        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, $"error {code}:", publish.ToString());
        Assert.IsFalse(publish.Output.Contains(_canary, StringComparison.Ordinal), "the canary is in the publish log");
        Assert.AreEqual(dockerStarted, publish.Output.Contains("BuildSecrets: building image", StringComparison.Ordinal), "docker started: " + !dockerStarted);
        var image = await DockerEngine.RunAsync("image", "inspect", _repository + ":latest");
        Assert.AreNotEqual(0, image.ExitCode, "the leaking image is still tagged");
    }

    [TestMethod]
    public async Task A_clean_build_is_scanned_and_passes()
    {
        using var consumer = await CreateAsync(
            """<DockerSecret Include="token" EnvironmentVariable="LEAKY_TOKEN" />""",
            "RUN --mount=type=secret,id=token test \"$(cat /run/secrets/token)\" != \"\" && echo ok > /app/checked.txt");

        var publish = await PublishAsync(consumer);

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "for secrets token: 3 layer(s) added on top of the base image");
        StringAssert.Contains(publish.Output, "1 base layer(s) left out");
        StringAssert.Contains(publish.Output, "none found");
        var image = await DockerEngine.RunAsync("image", "inspect", _repository + ":latest");
        Assert.AreEqual(0, image.ExitCode, image.ToString());
    }

    [TestMethod]
    public async Task A_build_argument_that_carries_the_secret_fails_with_BSEC4003()
    {
        using var consumer = await CreateAsync(
            """
            <DockerSecret Include="token" EnvironmentVariable="LEAKY_TOKEN" />
                <DockerBuildArg Include="TOKEN" Value="$(LEAKY_TOKEN)" />
            """,
            "ARG TOKEN\nRUN --mount=type=secret,id=token test -n \"$TOKEN\"");

        var publish = await PublishAsync(consumer);

        await AssertRejectedAsync(publish, "BSEC4003", dockerStarted: false);
    }

    [TestMethod]
    public async Task An_ENV_that_carries_the_secret_fails_with_BSEC4004()
    {
        using var consumer = await CreateAsync(
            """<DockerSecret Include="token" Source="../token" />""",
            $"ENV TOKEN={_canary}\nRUN --mount=type=secret,id=token test -s /run/secrets/token");
        consumer.WriteOutsideFile("token", _canary);

        var publish = await PublishAsync(consumer);

        await AssertRejectedAsync(publish, "BSEC4004", dockerStarted: false);
    }

    [TestMethod]
    public async Task A_secret_file_in_the_build_context_fails_with_BSEC4001()
    {
        using var consumer = await CreateAsync(
            """<DockerSecret Include="netrc" Source="netrc" />""",
            "RUN --mount=type=secret,id=netrc test -s /run/secrets/netrc",
            "<DockerfileContext>.</DockerfileContext>");
        consumer.WriteProjectFile("netrc", $"machine 127.0.0.1 login admin password {_canary}\n");

        var publish = await PublishAsync(consumer);

        await AssertRejectedAsync(publish, "BSEC4001", dockerStarted: false);
    }

    [TestMethod]
    public async Task A_secret_file_that_publish_copies_into_the_context_fails_with_BSEC4002()
    {
        using var consumer = await CreateAsync(
            """
            <DockerSecret Include="netrc" Source="secrets/netrc" />
                <None Include="secrets/netrc" CopyToPublishDirectory="PreserveNewest" />
            """,
            "RUN --mount=type=secret,id=netrc test -s /run/secrets/netrc");
        consumer.WriteProjectFile("secrets/netrc", $"machine 127.0.0.1 login admin password {_canary}\n");

        var publish = await PublishAsync(consumer);

        await AssertRejectedAsync(publish, "BSEC4002", dockerStarted: false);
        StringAssert.Contains(publish.Output, Path.Combine(consumer.PublishFolder, "secrets", "netrc"));
    }

    [TestMethod]
    public async Task A_secret_file_excluded_by_the_dockerignore_of_the_context_builds()
    {
        using var consumer = await CreateAsync(
            """<DockerSecret Include="netrc" Source="netrc" />""",
            "RUN --mount=type=secret,id=netrc test -s /run/secrets/netrc",
            "<DockerfileContext>.</DockerfileContext>");
        consumer.WriteProjectFile("netrc", $"machine 127.0.0.1 login admin password {_canary}\n");
        consumer.WriteProjectFile(".dockerignore", "netrc\nbin/\nobj/\n");

        var publish = await PublishAsync(consumer);

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        Assert.IsFalse(publish.Output.Contains(_canary, StringComparison.Ordinal), "the canary is in the publish log");
    }
}
