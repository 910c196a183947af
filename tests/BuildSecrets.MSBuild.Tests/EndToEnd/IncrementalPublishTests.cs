using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// Publishing again, for real against the engine: nothing changed builds and scans nothing; a
/// changed file rebuilds and scans only the new layers; a leak added after a clean publish is
/// caught; a changed secret, or an image the engine lost, is built and scanned again.
/// </summary>
[TestClass]
public sealed class IncrementalPublishTests
{
    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/incremental-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    private static string Dockerfile(string extraSteps = "") => $"""
        FROM {DockerEngine.BaseImage}
        WORKDIR /app
        COPY . /app
        RUN --mount=type=secret,id=token test "$(cat /run/secrets/token)" != "" && echo ok > /app/checked.txt
        {extraSteps}
        ENTRYPOINT ["dotnet", "/app/Consumer.dll"]
        """;

    private async Task<ConsumerProject> CreateAsync() =>
        await ConsumerProject.CreateAsync(TestContext.TestName!, """
              <ItemGroup>
                <DockerSecret Include="token" EnvironmentVariable="INCREMENTAL_TOKEN" />
              </ItemGroup>
            """, Dockerfile());

    private async Task<CommandOutcome> PublishAsync(ConsumerProject consumer, string? token = null)
    {
        var publish = await consumer.PublishAsync(
            new Dictionary<string, string?> { ["INCREMENTAL_TOKEN"] = token ?? _canary },
            $"DockerCli={DockerEngine.Cli}",
            "DockerBuildNetwork=none",
            $"ContainerRepository={_repository}");
        Assert.IsFalse(publish.Output.Contains(token ?? _canary, StringComparison.Ordinal), "the secret is in the publish log");
        return publish;
    }

    private static void AssertBuiltAndScanned(CommandOutcome publish)
    {
        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "BuildSecrets: building image", publish.ToString());
        StringAssert.Contains(publish.Output, "BuildSecrets: scanned image", publish.ToString());
    }

    /// <summary>The megabytes the scan read, from its summary line.</summary>
    private static double MegabytesRead(CommandOutcome publish)
    {
        var read = System.Text.RegularExpressions.Regex.Match(publish.Output, @"; ([0-9.]+) MB read\)");
        Assert.IsTrue(read.Success, publish.ToString());
        return double.Parse(read.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [TestMethod]
    public async Task A_publish_that_changes_nothing_neither_builds_nor_scans()
    {
        using var consumer = await CreateAsync();
        var first = await PublishAsync(consumer);
        AssertBuiltAndScanned(first);
        // Even the first scan leaves the base image's layer (over 100 MB) unread, in every layout.
        Assert.IsTrue(MegabytesRead(first) < 5, first.ToString());

        var second = await PublishAsync(consumer);

        Assert.AreEqual(0, second.ExitCode, second.ToString());
        StringAssert.Contains(second.Output, "is up to date", second.ToString());
        Assert.IsFalse(second.Output.Contains("BuildSecrets: building image", StringComparison.Ordinal), second.ToString());
        Assert.IsFalse(second.Output.Contains("BuildSecrets: scanned image", StringComparison.Ordinal), second.ToString());
        // Nor are the checks before the build run again: they would read the same inputs as the last clean check.
        Assert.IsFalse(second.Output.Contains("BuildSecrets: searched", StringComparison.Ordinal), second.ToString());
        // The engine was asked on its unix socket: no client process, the slowest part of such a publish.
        StringAssert.Contains(second.Output, TestEngine.Named(TestEngine.Docker20).AskedLine, second.ToString());
        Assert.AreEqual(
            ConsumerProject.LoggedImageId(first.Output, _repository + ":latest"),
            (await DockerEngine.RunAsync("image", "inspect", "--format", "{{.Id}}", _repository + ":latest")).Output.Trim());
    }

    [TestMethod]
    public async Task A_changed_file_is_built_and_only_the_new_layers_are_scanned()
    {
        using var consumer = await CreateAsync();
        AssertBuiltAndScanned(await PublishAsync(consumer));
        consumer.WriteProjectFile("Program.cs", ConsumerProject.DefaultProgram + "\n// changed\n");

        var second = await PublishAsync(consumer);

        AssertBuiltAndScanned(second);
        // WORKDIR's layer was proven clean by the first publish; COPY and RUN made new ones; the base is left out.
        StringAssert.Contains(second.Output, "2 layer(s) added on top of the base image (1 base layer(s) left out, 1 proven clean by an earlier build", second.ToString());
    }

    [TestMethod]
    public async Task A_leak_added_after_a_clean_publish_is_caught()
    {
        using var consumer = await CreateAsync();
        AssertBuiltAndScanned(await PublishAsync(consumer));
        consumer.WriteProjectFile("Dockerfile", Dockerfile("RUN --mount=type=secret,id=token cp /run/secrets/token /app/token.txt"));

        var second = await PublishAsync(consumer);

        Assert.AreNotEqual(0, second.ExitCode, second.ToString());
        StringAssert.Contains(second.Output, "error BSEC5001:", second.ToString());
        var image = await DockerEngine.RunAsync("image", "inspect", _repository + ":latest");
        Assert.AreEqual(0, image.ExitCode, "the first, clean image keeps its tag");

        var third = await PublishAsync(consumer);
        Assert.AreNotEqual(0, third.ExitCode, "a leak is found again, never taken from a record: " + third);
        StringAssert.Contains(third.Output, "error BSEC5001:", third.ToString());
    }

    [TestMethod]
    public async Task A_changed_secret_is_searched_for_again_in_the_same_image()
    {
        using var consumer = await CreateAsync();
        var first = await PublishAsync(consumer);
        AssertBuiltAndScanned(first);

        // BuildKit takes every step from its cache (a secret's content is not part of its cache key):
        // the image is the same, but it was never searched for the new value.
        var second = await PublishAsync(consumer, "rotated-" + Guid.NewGuid().ToString("N"));

        AssertBuiltAndScanned(second);
        Assert.IsFalse(second.Output.Contains("not scanned again", StringComparison.Ordinal), second.ToString());
        Assert.AreEqual(ConsumerProject.LoggedImageId(first.Output, _repository + ":latest"), ConsumerProject.LoggedImageId(second.Output, _repository + ":latest"));
    }

    [TestMethod]
    public async Task An_image_removed_from_the_engine_is_built_again()
    {
        using var consumer = await CreateAsync();
        AssertBuiltAndScanned(await PublishAsync(consumer));
        await DockerEngine.RemoveImageAsync(_repository + ":latest");

        var second = await PublishAsync(consumer);

        Assert.AreEqual(0, second.ExitCode, second.ToString());
        StringAssert.Contains(second.Output, "BuildSecrets: building image", second.ToString());
        Assert.AreEqual(0, (await DockerEngine.RunAsync("image", "inspect", _repository + ":latest")).ExitCode);
    }
}
