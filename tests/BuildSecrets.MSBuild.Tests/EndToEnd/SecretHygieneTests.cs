using System.Diagnostics;
using BuildSecrets.MSBuild.Tests.Infrastructure;
using BuildSecrets.Samples;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// A random canary secret, from a file and from an environment variable, through real publishes
/// that succeed, fail and are cancelled: it must appear in no log at diagnostic verbosity, in no
/// binary log (replayed at diagnostic verbosity), on no command line and in no temp file.
/// </summary>
[TestClass]
public sealed class SecretHygieneTests
{
    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/hygiene-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    private static string ProjectBody(string url) => $"""
          <ItemGroup>
            <DockerSecret Include="netrc" Source="../netrc" />
            <DockerSecret Include="token" EnvironmentVariable="HYGIENE_TOKEN" />
            <DockerBuildArg Include="MESSAGE_URL" Value="{url}" />
          </ItemGroup>
        """;

    private const string Dockerfile = $"""
        FROM {DockerEngine.BaseImage}
        ARG MESSAGE_URL
        WORKDIR /app
        COPY . /app
        RUN --mount=type=secret,id=token test -s /run/secrets/token
        RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n "$MESSAGE_URL" -o /app/message.txt
        ENTRYPOINT ["dotnet", "/app/Consumer.dll"]
        """;

    private Dictionary<string, string?> Environment => new() { ["HYGIENE_TOKEN"] = "token-" + _canary };

    private async Task<CommandOutcome> PublishAsync(ConsumerProject consumer, Func<string, bool>? interruptWhen = null) =>
        await consumer.RunDotnetAsync(
            "publish",
            Environment,
            ["-v:diag", $"-p:DockerCli={DockerEngine.Cli}", "-p:DockerBuildNetwork=host", $"-p:ContainerRepository={_repository}"],
            interruptWhen);

    [TestMethod]
    public async Task A_successful_publish_leaves_the_canary_in_no_log_binlog_command_line_or_temp_file()
    {
        using var server = new BasicAuthServer("admin", _canary);
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, ProjectBody(server.Url), Dockerfile);
        consumer.WriteOutsideFile("netrc", $"machine 127.0.0.1 login admin password {_canary}\n");

        var publish = await PublishAsync(consumer);

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        Assert.AreEqual(1, server.AuthorizedRequests);
        StringAssert.Contains(publish.Output, "--secret id=token,env=HYGIENE_TOKEN");
        await AssertNoCanaryAsync(publish, consumer);
    }

    [TestMethod]
    public async Task A_failed_publish_leaves_the_canary_in_no_log_binlog_or_temp_file()
    {
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, ProjectBody("http://127.0.0.1:1/"), Dockerfile);
        consumer.WriteOutsideFile("netrc", $"machine 127.0.0.1 login admin password {_canary}\n");

        var publish = await PublishAsync(consumer);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC3001");
        await AssertNoCanaryAsync(publish, consumer);
    }

    [TestMethod]
    public async Task Ctrl_C_during_the_image_build_stops_publish_and_docker_within_seconds_and_leaves_nothing_behind()
    {
        using var consumer = await ConsumerProject.CreateAsync(
            TestContext.TestName!,
            ProjectBody("http://127.0.0.1:1/"),
            Dockerfile.Replace("test -s /run/secrets/token", "test -s /run/secrets/token && echo sleeping-now && sleep 120", StringComparison.Ordinal));
        consumer.WriteOutsideFile("netrc", $"machine 127.0.0.1 login admin password {_canary}\n");

        var publish = await PublishAsync(consumer, line => line.Contains("sleeping-now", StringComparison.Ordinal));

        Assert.IsNotNull(publish.RanAfterInterrupt, $"the build never reached the sleeping step: {publish}");
        Assert.IsTrue(publish.RanAfterInterrupt < TimeSpan.FromSeconds(20), $"publish ran {publish.RanAfterInterrupt} after Ctrl+C");
        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        await WaitForNoDockerBuildAsync();
        var image = await DockerEngine.RunAsync("image", "inspect", _repository + ":latest");
        Assert.AreNotEqual(0, image.ExitCode, "a cancelled build left the image tagged");
        await AssertNoCanaryAsync(publish, consumer);
    }

    private async Task WaitForNoDockerBuildAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var clients = Process.GetProcesses().Where(p => CommandLine(p).Contains(_repository, StringComparison.Ordinal)).ToArray();
            if (clients.Length == 0)
            {
                return;
            }

            Assert.IsTrue(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"a docker client still runs: {string.Join(", ", clients.Select(CommandLine))}");
            await Task.Delay(250);
        }
    }

    private static string CommandLine(Process process)
    {
        try
        {
            return File.ReadAllText($"/proc/{process.Id}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private async Task AssertNoCanaryAsync(CommandOutcome publish, ConsumerProject consumer)
    {
        Assert.IsFalse(publish.Output.Contains(_canary, StringComparison.Ordinal), "the canary is in the diagnostic console log");

        await Binlogs.AssertLastPublishHasNoAsync(TestContext.TestName!, _canary, "the canary");

        foreach (var file in Directory.EnumerateFiles(consumer.TempFolder, "*", SearchOption.AllDirectories))
        {
            Assert.IsFalse(ReadAll(file).Contains(_canary, StringComparison.Ordinal), $"the canary is in a temp file: {file}");
        }

        foreach (var file in Directory.EnumerateFiles(consumer.ProjectFolder, "*", SearchOption.AllDirectories))
        {
            Assert.IsFalse(ReadAll(file).Contains(_canary, StringComparison.Ordinal), $"the canary is in a file of the project: {file}");
        }
    }

    private static string ReadAll(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
