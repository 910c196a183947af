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
    /// <remarks>
    /// Mono 6.8 now and then never completes the wait for a child process that has exited (in these
    /// tests one run in three or four; the process is reaped, its Exited event never arrives, no thread
    /// is left working, so the task waits forever for one of the client checks that precede the
    /// build). .NET Framework has no such flaw. A run that hangs gets SIGQUIT, so that Mono prints
    /// every thread's stack into the attempt's log, and is killed; when it hung before the build
    /// started (nothing done yet), it is run again, at most five times in all.
    /// </remarks>
    public static async Task<CommandOutcome> RunTaskAsync(string logFolder, string workingDirectory, params string[] parameters)
    {
        Assert.IsTrue(File.Exists(Mono), $"{Mono} is missing: eng/test.sh installs Debian's mono-devel");
        var taskAssembly = Path.Combine(await PackageFeed.ExtractedFolderAsync(), "tasks", "net472", "BuildSecrets.MSBuild.dll");
        string[] arguments = ["--signal=QUIT", "--kill-after=10", "60", Mono, "--debug", await Built.Value, taskAssembly, "BuildSecrets.MSBuild.Tasks.BuildDockerImage", .. parameters];
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await Commands.RunAsync(
                "timeout",
                arguments,
                workingDirectory,
                new Dictionary<string, string?> { ["DOCKER_BUILDKIT"] = "1" },
                logFile: Path.Combine(logFolder, $"net472-host-{attempt}.log"),
                timeout: TimeSpan.FromMinutes(2));
            var hungBeforeTheBuild = outcome.ExitCode is 124 or 137
                && outcome.Output.Contains("Full thread dump", StringComparison.Ordinal)
                && !outcome.Output.Contains("BuildSecrets: building image", StringComparison.Ordinal);
            if (!hungBeforeTheBuild || attempt == 5)
            {
                return outcome;
            }
        }
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
