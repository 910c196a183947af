using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>What a Dockerfile can take from the build context, and the walk that lists only those files.</summary>
[TestClass]
public sealed class ContextSourcesTests
{
    private string _context = null!;

    [TestInitialize]
    public void CreateContext()
    {
        _context = ContextFolder.Create("sources",
        [
            "App.sln", "Dockerfile", "App/App.csproj", "App/Program.cs", "App/appsettings.json", "App/appsettings.Development.json",
            "App/bin/Release/app/App.dll", "App/bin/Release/app/App.pdb", "App/bin/Debug/app/App.dll", "App/obj/project.assets.json",
            "web/node_modules/left-pad/index.js", "web/package.json", "config/a.txt", "config/b.txt", "config/c1.txt",
        ]);
    }

    [TestCleanup]
    public void DeleteContext() => Directory.Delete(_context, recursive: true);

    private static string[] Sources(string dockerfile) =>
        DockerfileReader.Parse(dockerfile).ContextSources().Select(s => s.ToString()).ToArray();

    private static void AssertWholeContext(string dockerfile, string? message = null) =>
        CollectionAssert.AreEqual(new[] { "(whole context)" }, Sources(dockerfile), message ?? dockerfile);

    private (string[] Files, string[] Entered) Walk(string dockerfile, string dockerignore = "") =>
        ContextFolder.Walk(_context, entering => ContextFiles.EnumerateTaken(_context, DockerIgnoreMatcher.Parse(dockerignore), DockerfileReader.Parse(dockerfile).ContextSources(), entering));

    [TestMethod]
    public void Copy_and_add_sources_of_every_stage_are_taken_without_the_destination()
    {
        CollectionAssert.AreEqual(
            new[] { "App/App.csproj", "App", "config/*.txt", "web/package.json" },
            Sources("FROM sdk AS build\nCOPY App/App.csproj ./App/\nCOPY --chown=1000 ./App/ /src/App/\nFROM runtime\nADD config/*.txt web/package.json /etc/app/\n"));
    }

    [TestMethod]
    public void Copy_from_another_stage_or_image_takes_nothing_from_the_context()
    {
        CollectionAssert.AreEqual(Array.Empty<string>(), Sources("FROM sdk AS build\nRUN make\nFROM runtime\nCOPY --from=build /app /app\nCOPY --link --from=nginx:latest /etc/nginx /etc/nginx\n"));
    }

    [TestMethod]
    public void Add_of_a_url_or_a_git_repository_and_heredocs_take_nothing_from_the_context()
    {
        CollectionAssert.AreEqual(
            Array.Empty<string>(),
            Sources("FROM base\nADD https://example.com/tool.tar.gz /opt/\nADD git@github.com:owner/repo.git /src\nADD http://example.com/a /a\nCOPY <<EOF /etc/app.conf\nkey=value\nEOF\n"));
    }

    [TestMethod]
    public void The_json_form_takes_its_sources_and_one_that_does_not_read_takes_the_whole_context()
    {
        CollectionAssert.AreEqual(new[] { "App/Program.cs", "config/a b.txt" }, Sources("FROM base\nCOPY [\"App/Program.cs\", \"config/a b.txt\", \"/app/\"]\n"));
        AssertWholeContext("FROM base\nCOPY [\"App/Program.cs\", /app/]\n");
    }

    [TestMethod]
    public void A_bind_mount_takes_its_source_or_the_whole_context_and_one_from_a_stage_nothing()
    {
        CollectionAssert.AreEqual(new[] { "App" }, Sources("FROM base\nRUN --mount=type=bind,source=App,target=/src make\nRUN --mount=type=bind,from=build,source=/out,target=/o true\n"));
        AssertWholeContext("FROM base\nRUN --mount=type=bind,target=/src make\n");
        AssertWholeContext("FROM base\nRUN --mount=target=/src make\n");
        CollectionAssert.AreEqual(Array.Empty<string>(), Sources("FROM base\nRUN --mount=type=cache,target=/root/.nuget make\n"));
    }

    [TestMethod]
    public void A_source_with_a_variable_quotes_or_a_backslash_takes_the_whole_context()
    {
        foreach (var source in new[] { "$APP", "${APP}/bin", "\"App\"", "App\\bin" })
        {
            AssertWholeContext($"FROM base\nCOPY {source} /app\n", source);
        }

        AssertWholeContext("FROM base\nRUN --mount=type=bind,source=$SRC,target=/src make\n");
    }

    [TestMethod]
    public void The_context_root_and_another_frontend_take_the_whole_context()
    {
        AssertWholeContext("FROM base\nCOPY . /app\n");
        AssertWholeContext("FROM base\nCOPY ./ /app\n");
        AssertWholeContext("# syntax=example.com/other-frontend:1\nFROM base\nCOPY App/Program.cs /app\n");
        CollectionAssert.AreEqual(new[] { "App/Program.cs" }, Sources("# syntax=docker/dockerfile:1\nFROM base\nCOPY App/Program.cs /app\n"));
    }

    [TestMethod]
    public void A_double_star_takes_everything_under_the_folders_before_it()
    {
        CollectionAssert.AreEqual(new[] { "App" }, Sources("FROM base\nCOPY --parents App/**/*.cs /src/\n"));
    }

    [TestMethod]
    public void A_file_source_takes_that_file_only_and_the_walk_enters_only_the_folders_on_its_way()
    {
        var (files, entered) = Walk("FROM base\nCOPY App/bin/Release/app/App.dll /app/\n");

        CollectionAssert.AreEqual(new[] { "App/bin/Release/app/App.dll" }, files);
        CollectionAssert.AreEqual(new[] { ".", "App", "App/bin", "App/bin/Release", "App/bin/Release/app" }, entered);
    }

    [TestMethod]
    public void A_folder_source_takes_everything_under_it_and_never_enters_node_modules()
    {
        var (files, entered) = Walk("FROM base\nCOPY App/bin/Release/app /app\n");

        CollectionAssert.AreEqual(new[] { "App/bin/Release/app/App.dll", "App/bin/Release/app/App.pdb" }, files);
        Assert.IsFalse(entered.Any(e => e.StartsWith("web", StringComparison.Ordinal)), string.Join(", ", entered));
    }

    [TestMethod]
    public void Glob_sources_match_one_segment_at_a_time_as_go_filepath_match_does()
    {
        CollectionAssert.AreEqual(new[] { "config/a.txt", "config/b.txt" }, Walk("FROM base\nCOPY config/[ab].txt /c/\n").Files);
        CollectionAssert.AreEqual(new[] { "config/c1.txt" }, Walk("FROM base\nCOPY config/c?.txt /c/\n").Files);
        CollectionAssert.AreEqual(new[] { "App/bin/Debug/app/App.dll", "App/bin/Release/app/App.dll" }, Walk("FROM base\nCOPY App/bin/*/app/*.dll /c/\n").Files);
        CollectionAssert.AreEqual(new[] { "App/appsettings.Development.json", "App/appsettings.json" }, Walk("FROM base\nCOPY App/appsettings*.json /c/\n").Files);

        // '*' never crosses a '/': it matches the names in App/, not the files below them.
        CollectionAssert.DoesNotContain(Walk("FROM base\nCOPY App/*.json /c/\n").Files, "App/obj/project.assets.json");
    }

    [TestMethod]
    public void The_dockerignore_still_leaves_out_what_a_source_takes()
    {
        var (files, entered) = Walk("FROM base\nCOPY App /app\n", "**/bin\n**/obj\n**/*.Development.json\n");

        CollectionAssert.AreEqual(new[] { "App/App.csproj", "App/Program.cs", "App/appsettings.json" }, files);
        CollectionAssert.DoesNotContain(entered, "App/bin");
    }

    [TestMethod]
    public void No_source_reads_no_file_and_the_whole_context_reads_what_the_whole_walk_reads()
    {
        var (none, entered) = Walk("FROM base\nRUN --mount=type=secret,id=token true\n");
        CollectionAssert.AreEqual(Array.Empty<string>(), none);
        CollectionAssert.AreEqual(new[] { "." }, entered);

        var whole = ContextFiles.Enumerate(_context, DockerIgnoreMatcher.Empty).Select(f => ContextFiles.RelativeTo(_context, f)!).OrderBy(f => f, StringComparer.Ordinal);
        CollectionAssert.AreEqual(whole.ToArray(), Walk("FROM base\nCOPY . /app\n").Files);
    }

    [TestMethod]
    public void A_source_that_names_a_link_makes_every_file_read_since_BuildKit_follows_it()
    {
        Directory.CreateSymbolicLink(Path.Combine(_context, "linked"), Path.Combine(_context, "config"));

        var files = Walk("FROM base\nCOPY linked /app\n").Files;

        CollectionAssert.Contains(files, "config/a.txt");
        CollectionAssert.Contains(files, "web/package.json");
        Assert.AreEqual(files.Length, files.Distinct().Count(), string.Join(", ", files));
    }
}
