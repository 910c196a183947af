using BuildSecrets.MSBuild.Tests.Infrastructure;
using BuildSecrets.Samples;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// samples/VsDockerSupport, shaped like Visual Studio's "Add Docker support": the solution folder as
/// the context (DockerfileContext=..), the Dockerfile in the project folder, the template's
/// .dockerignore at the solution root, and a multi-stage Dockerfile that restores, builds and
/// publishes inside the image (on the offline SDK image) and downloads with the netrc secret.
/// </summary>
[TestClass]
public sealed class VsDockerSupportTests
{
    private readonly string _password = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/vs-docker-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    [TestMethod]
    public async Task The_Visual_Studio_shaped_solution_publishes_an_image_built_inside_from_the_solution_folder()
    {
        var feed = await PackageFeed.FolderAsync();
        var solution = Repository.NewTempFolder("vs-docker-support");
        try
        {
            CopyFolder(Path.Combine(Repository.Root, "samples", "VsDockerSupport"), solution);
            File.WriteAllText(Path.Combine(solution, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration><packageSources><clear /><add key="local" value="{feed}" /></packageSources></configuration>
                """);
            var netrc = Path.Combine(Path.GetDirectoryName(solution)!, Path.GetFileName(solution) + ".netrc");
            File.WriteAllText(netrc, $"machine 127.0.0.1\nlogin admin\npassword {_password}\n");
            // Left behind in an excluded folder, as a solution's bin/ and .git/ hold: the .dockerignore keeps it out.
            var stray = Path.Combine(solution, "VsDockerSupport", "bin", "old", "netrc");
            Directory.CreateDirectory(Path.GetDirectoryName(stray)!);
            File.Copy(netrc, stray);
            using var server = new BasicAuthServer("admin", _password);
            var logFolder = Repository.LogFolder(TestContext.TestName!);

            var publish = await Commands.RunAsync(
                "dotnet",
                ["publish", "-c", "Release", "-nodeReuse:false", "-tl:off", "-v:n", $"-bl:{Path.Combine(logFolder, "publish.binlog")}",
                 $"-p:NetrcPath={netrc}", $"-p:MessageUrl={server.Url}", $"-p:DockerCli={DockerEngine.Cli}", $"-p:ContainerRepository={_repository}"],
                Path.Combine(solution, "VsDockerSupport"),
                new Dictionary<string, string?> { ["NUGET_PACKAGES"] = PackageFeed.PackagesFolder, ["MSBUILDDISABLENODEREUSE"] = "1" },
                Path.Combine(logFolder, "publish.log"),
                TimeSpan.FromMinutes(10));

            Assert.AreEqual(0, publish.ExitCode, publish.ToString());
            StringAssert.Contains(publish.Output, $" {solution}\n", "the context is not the solution folder");
            Assert.AreEqual(1, server.AuthorizedRequests, "the download step did not authenticate exactly once");
            Assert.IsNotNull(ConsumerProject.LoggedImageId(publish.Output.Replace("VsDockerSupport -> ", "Consumer -> ", StringComparison.Ordinal), _repository + ":latest"), publish.ToString());
            var run = await DockerEngine.RunAsync("run", "--rm", "--network", "none", _repository + ":latest");
            Assert.AreEqual("Hello, Admin", run.Output.Trim(), run.ToString());
            CollectionAssert.AreEqual(Array.Empty<string>(), (await DockerEngine.FindInSavedImageAsync(_repository + ":latest", _password)).ToArray(), "the password is in the image");
            Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the log");
        }
        finally
        {
            Directory.Delete(solution, recursive: true);
        }
    }

    [TestMethod]
    public async Task Visual_Studios_DockerfilePath_names_the_Dockerfile_when_DockerfileFile_is_not_set()
    {
        using var consumer = await ConsumerProject.CreateAsync(
            TestContext.TestName!, "<PropertyGroup><DockerfilePath>docker/App.Dockerfile</DockerfilePath></PropertyGroup>");

        var evaluation = await consumer.RunDotnetAsync("msbuild", null, ["-restore", "-t:_DockerBuildComputeSettings", "-getProperty:DockerfileFile"]);

        Assert.AreEqual(0, evaluation.ExitCode, evaluation.ToString());
        StringAssert.Contains(evaluation.Output, Path.Combine(consumer.ProjectFolder, "docker", "App.Dockerfile"));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
