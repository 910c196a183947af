namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>
/// tests/BuildSecrets.MSBuild.Net472Host, built once per test run and run under Mono: it loads the
/// packed tasks/net472 task assembly from the package, as Visual Studio's MSBuild would, and runs
/// the task with a minimal build engine that prints what the task logs.
/// </summary>
internal static class Net472Host
{
    private const string Mono = "/usr/bin/mono";

    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>Runs BuildDockerImage from the packed package's tasks/net472 folder with the given parameters.</summary>
    public static async Task<CommandOutcome> RunTaskAsync(string logFolder, string workingDirectory, params string[] parameters)
    {
        Assert.IsTrue(File.Exists(Mono), $"{Mono} is missing: eng/test.sh installs Debian's mono-devel");
        var taskAssembly = Path.Combine(await PackageFeed.ExtractedFolderAsync(), "tasks", "net472", "BuildSecrets.MSBuild.dll");
        return await Commands.RunAsync(
            Mono,
            [await Built.Value, taskAssembly, "BuildSecrets.MSBuild.Tasks.BuildDockerImage", .. parameters],
            workingDirectory,
            new Dictionary<string, string?> { ["DOCKER_BUILDKIT"] = "1" },
            logFile: Path.Combine(logFolder, "net472-host.log"),
            timeout: TimeSpan.FromMinutes(3));
    }

    private static async Task<string> BuildAsync()
    {
        var output = Repository.NewTempFolder("net472-host");
        var project = Path.Combine(Repository.Root, "tests", "BuildSecrets.MSBuild.Net472Host", "BuildSecrets.MSBuild.Net472Host.csproj");
        var build = await Commands.RunAsync(
            "dotnet",
            ["build", project, "-c", "Release", "-o", output, "-nodeReuse:false", "-tl:off"],
            Repository.Root,
            logFile: Path.Combine(Repository.LogFolder("net472-host"), "build.log"));
        Assert.AreEqual(0, build.ExitCode, $"building the net472 host failed: {build}");
        return Path.Combine(output, "BuildSecrets.MSBuild.Net472Host.exe");
    }
}
