using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>The context walk of the checks before the build: what BuildKit sends, and no folder it skips.</summary>
[TestClass]
public sealed class ContextFilesTests
{
    /// <summary>The .dockerignore Visual Studio's "Add Docker support" writes at the solution root, as the sample has it.</summary>
    private static string VisualStudioDockerIgnore => File.ReadAllText(Path.Combine(Repository.Root, "samples", "VsDockerSupport", ".dockerignore"));

    private string _context = null!;

    [TestInitialize]
    public void CreateSolution()
    {
        _context = ContextFolder.Create("context",
        [
            "App.sln", ".gitignore", ".git/HEAD", ".git/config", ".git/objects/ab/cdef", ".git/refs/heads/main",
            "App/App.csproj", "App/Program.cs", "App/Dockerfile", "App/bin/Release/net10.0/App.dll", "App/bin/.gitignore",
            "App/obj/project.assets.json", "web/node_modules/left-pad/index.js", ".vs/App/v17/.suo",
        ]);
    }

    [TestCleanup]
    public void DeleteSolution() => Directory.Delete(_context, recursive: true);

    private (string[] Files, string[] Entered) Walk(string dockerignore) =>
        ContextFolder.Walk(_context, entering => ContextFiles.Enumerate(_context, DockerIgnoreMatcher.Parse(dockerignore), entering));

    [TestMethod]
    public void With_Visual_Studios_dockerignore_the_walk_sends_the_sources_and_never_enters_bin_obj_node_modules_or_git_objects()
    {
        var (files, entered) = Walk(VisualStudioDockerIgnore);

        CollectionAssert.AreEqual(
            new[] { ".git/HEAD", ".git/config", ".git/refs/heads/main", ".gitignore", "App.sln", "App/App.csproj", "App/Program.cs" },
            files);
        foreach (var skipped in new[] { "App/bin", "App/obj", "web/node_modules", ".vs", ".git/objects" })
        {
            Assert.IsFalse(entered.Any(e => e == skipped || e.StartsWith(skipped + "/", StringComparison.Ordinal)), $"the walk entered {skipped}: {string.Join(", ", entered)}");
        }
    }

    [TestMethod]
    public void An_exception_that_starts_with_an_excluded_folder_makes_the_walk_enter_it()
    {
        var (files, entered) = Walk("**/bin\n!App/bin/Release/net10.0/App.dll\n");

        CollectionAssert.Contains(files, "App/bin/Release/net10.0/App.dll");
        CollectionAssert.DoesNotContain(files, "App/bin/.gitignore");
        CollectionAssert.Contains(entered, "App/bin");
    }

    [TestMethod]
    public void Without_a_dockerignore_every_file_is_walked()
    {
        var (files, _) = Walk(string.Empty);

        Assert.AreEqual(14, files.Length, string.Join(", ", files));
    }
}
