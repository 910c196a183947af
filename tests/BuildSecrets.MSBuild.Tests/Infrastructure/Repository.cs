namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>Paths of this repository and of the test run's scratch space.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Readme => Path.Combine(Root, "README.md");

    /// <summary>Where commands' output is kept for diagnosis: artifacts/test-logs/&lt;test&gt;/.</summary>
    public static string LogFolder(string testName)
    {
        var folder = Path.Combine(Root, "artifacts", "test-logs", testName);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>A fresh folder under the system temp folder, removed by the caller.</summary>
    public static string NewTempFolder(string purpose)
    {
        var folder = Path.Combine(Path.GetTempPath(), "buildsecrets-tests", $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "BuildSecrets.MSBuild.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (with BuildSecrets.MSBuild.sln) was not found above " + AppContext.BaseDirectory);
    }
}
