namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>The package, packed once per test run into a local folder feed.</summary>
internal static class PackageFeed
{
    private static readonly Lazy<Task<string>> Packed = new(PackAsync);
    private static readonly Lazy<Task<string>> Extracted = new(ExtractAsync);

    /// <summary>The package's version: VersionPrefix in the repository's Directory.Build.props, where it is set once.</summary>
    public static string Version { get; } = System.Xml.Linq.XDocument.Load(Path.Combine(Repository.Root, "Directory.Build.props"))
        .Descendants("VersionPrefix").Single().Value;

    /// <summary>The folder feed holding BuildSecrets.MSBuild.&lt;version&gt;.nupkg.</summary>
    public static Task<string> FolderAsync() => Packed.Value;

    /// <summary>The package folder every consumer of this run restores into (never the user's).</summary>
    public static string PackagesFolder { get; } = Repository.NewTempFolder("packages");

    public static async Task<string> PackageFileAsync() => Path.Combine(await FolderAsync(), $"BuildSecrets.MSBuild.{Version}.nupkg");

    /// <summary>The symbols package packed beside it.</summary>
    public static async Task<string> SymbolsPackageFileAsync() => Path.Combine(await FolderAsync(), $"BuildSecrets.MSBuild.{Version}.snupkg");

    /// <summary>The packed package, unzipped once per test run (its tasks/&lt;tfm&gt;/ folders as MSBuild would load them).</summary>
    public static Task<string> ExtractedFolderAsync() => Extracted.Value;

    private static async Task<string> ExtractAsync()
    {
        var folder = Repository.NewTempFolder("package");
        System.IO.Compression.ZipFile.ExtractToDirectory(await PackageFileAsync(), folder);
        return folder;
    }

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
