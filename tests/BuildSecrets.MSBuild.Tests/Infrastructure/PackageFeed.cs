namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>The package, packed once per test run into a local folder feed.</summary>
internal static class PackageFeed
{
    private static readonly Lazy<Task<string>> Packed = new(PackAsync);

    public const string Version = "0.1.0";

    /// <summary>The folder feed holding BuildSecrets.MSBuild.&lt;version&gt;.nupkg.</summary>
    public static Task<string> FolderAsync() => Packed.Value;

    /// <summary>The package folder every consumer of this run restores into (never the user's).</summary>
    public static string PackagesFolder { get; } = Repository.NewTempFolder("packages");

    public static async Task<string> PackageFileAsync() => Path.Combine(await FolderAsync(), $"BuildSecrets.MSBuild.{Version}.nupkg");

    private static async Task<string> PackAsync()
    {
        var feed = Repository.NewTempFolder("feed");
        var outcome = await Commands.RunAsync(
            "dotnet",
            ["pack", Path.Combine(Repository.Root, "BuildSecrets.MSBuild.sln"), "-c", "Release", "-o", feed, "-nodeReuse:false", "-tl:off"],
            Repository.Root,
            logFile: Path.Combine(Repository.LogFolder("pack"), "pack.log"));
        Assert.AreEqual(0, outcome.ExitCode, $"dotnet pack failed: {outcome}");
        return feed;
    }
}
