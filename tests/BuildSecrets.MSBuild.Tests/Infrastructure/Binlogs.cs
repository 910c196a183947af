namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>The binary logs the consumers' commands keep in artifacts/test-logs.</summary>
internal static class Binlogs
{
    /// <summary>Replays the test's last publish binlog at diagnostic verbosity and fails if <paramref name="value"/> is in it.</summary>
    public static async Task AssertLastPublishHasNoAsync(string testName, string value, string what)
    {
        var binlog = Directory.EnumerateFiles(Repository.LogFolder(testName), "publish-*.binlog").OrderBy(File.GetLastWriteTimeUtc).Last();
        var replay = await Commands.RunAsync("dotnet", ["msbuild", binlog, "-v:diag", "-tl:off", "-nologo"], logFile: binlog + ".replay.log");
        StringAssert.Contains(replay.Output, "Task \"BuildDockerImage\"", "the replayed binlog does not cover the task");
        Assert.IsFalse(replay.Output.Contains(value, StringComparison.Ordinal), $"{what} is in the binlog (replayed at diagnostic verbosity)");
    }
}
