using System.Text.RegularExpressions;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// What a user sees of the image under the terminal logger, the default of 'dotnet publish' in a
/// terminal since .NET 9 (-tl:on, default verbosity): it hides high-importance messages, but shows
/// a project's "&lt;project&gt; -&gt; &lt;output&gt;" line after "succeeded", and every error.
/// </summary>
[TestClass]
public sealed class TerminalLoggerTests
{
    private static readonly Regex Escapes = new(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x1b\x07]*(\x07|\x1b\\)", RegexOptions.Compiled);

    private readonly string _repository = "buildsecrets-e2e/terminal-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    private async Task<string> PublishAsync(string step, bool succeeds)
    {
        using var consumer = await ConsumerProject.CreateAsync(
            TestContext.TestName!,
            """
              <ItemGroup>
                <DockerSecret Include="token" EnvironmentVariable="TERMINAL_TOKEN" />
              </ItemGroup>
            """,
            $"FROM {DockerEngine.BaseImage}\nWORKDIR /app\nCOPY . /app\n{step}\n");

        var publish = await consumer.RunDotnetAsync(
            "publish",
            new Dictionary<string, string?> { ["TERMINAL_TOKEN"] = "token-" + Guid.NewGuid().ToString("N") },
            ["-tl:on", $"-p:DockerCli={DockerEngine.Cli}", "-p:DockerBuildNetwork=none", $"-p:ContainerRepository={_repository}"]);

        Assert.AreEqual(succeeds, publish.ExitCode == 0, publish.ToString());
        var shown = Escapes.Replace(publish.Output, string.Empty);
        File.WriteAllText(Path.Combine(Repository.LogFolder(TestContext.TestName!), "shown.txt"), shown);
        return shown;
    }

    [TestMethod]
    public async Task The_terminal_logger_shows_the_built_image_reference_and_id_after_succeeded()
    {
        var shown = await PublishAsync("RUN --mount=type=secret,id=token test -s /run/secrets/token", succeeds: true);

        var id = (await DockerEngine.RunAsync("image", "inspect", "--format", "{{.Id}}", _repository + ":latest")).Output.Trim();
        StringAssert.StartsWith(id, "sha256:");
        StringAssert.Matches(shown, new Regex($@"Consumer net10\.0 succeeded.*→ {Regex.Escape($"{_repository}:latest ({id})")}"), shown);
        Assert.IsFalse(shown.Contains("BuildSecrets: built image", StringComparison.Ordinal), "the terminal logger now shows high-importance messages: the '->' line may be redundant");
    }

    [TestMethod]
    public async Task The_terminal_logger_shows_a_failing_steps_error_with_the_step()
    {
        var shown = await PublishAsync("RUN --mount=type=secret,id=token echo failing-step-output && exit 3", succeeds: false);

        var at = shown.IndexOf("error BSEC3001", StringComparison.Ordinal);
        Assert.IsTrue(at >= 0, shown);
        // The terminal logger writes a multi-line message indented under the error's first line.
        var error = shown.Substring(at);
        StringAssert.Contains(error, "RUN --mount=type=secret,id=token echo failing-step-output && exit 3");
        StringAssert.Contains(error, "exit code: 3");
    }
}
