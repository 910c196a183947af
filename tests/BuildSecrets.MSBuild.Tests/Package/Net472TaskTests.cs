using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Package;

/// <summary>
/// The packed tasks/net472 task assembly (the one Visual Studio's MSBuild loads) run for real under
/// Mono, through a .NET Framework host that loads it as MSBuild does: validation, a real build with a
/// secret against the engine, and a leak the scan must find. The .NET task tests run the net8.0 build.
/// </summary>
[TestClass]
public sealed class Net472TaskTests
{
    private readonly string _secret = "net472-secret-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/net472-" + Guid.NewGuid().ToString("N").Substring(0, 12);
    private string _folder = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateProject()
    {
        _folder = Repository.NewTempFolder("net472-task");
        Directory.CreateDirectory(Path.Combine(_folder, "project", "publish"));
        Directory.CreateDirectory(Path.Combine(_folder, "project", "obj"));
        File.WriteAllText(Path.Combine(_folder, "project", "publish", "app.txt"), "the published app\n");
        File.WriteAllText(Path.Combine(_folder, "token"), _secret);
    }

    [TestCleanup]
    public async Task RemoveProjectAndImage()
    {
        Directory.Delete(_folder, recursive: true);
        if (Environment.GetEnvironmentVariable("BUILDSECRETS_DOCKER") is { Length: > 0 })
        {
            await DockerEngine.RemoveImageAsync(_repository + ":latest");
        }
    }

    // NoCache: BuildKit caches a RUN step without looking at its secrets' content, so a cached step of
    // an earlier run (another random secret) would hide what this run's step does.
    private Task<CommandOutcome> RunAsync(string dockerCli, string dockerfile, string secret)
    {
        var project = Path.Combine(_folder, "project");
        File.WriteAllText(Path.Combine(project, "Dockerfile"), dockerfile);
        return Net472Host.RunTaskAsync(
            Repository.LogFolder(TestContext.TestName!),
            project,
            $"ProjectDirectory={project}",
            "Dockerfile=Dockerfile",
            "Context=publish",
            $"Repository={_repository}",
            "Tags=latest",
            $"ImageIdFile={Path.Combine(project, "obj", "image-id.txt")}",
            $"DockerCli={dockerCli}",
            "Network=none",
            "NoCache=true",
            $"Secrets+={secret}");
    }

    /// <summary>A real build on the engine: the offline base image, the publish folder, then <paramref name="step"/>.</summary>
    private async Task<CommandOutcome> BuildOnTheEngineAsync(string step)
    {
        await DockerEngine.EnsureReadyAsync();
        return await RunAsync(DockerEngine.Cli, $"FROM {DockerEngine.BaseImage}\nCOPY . /app\n{step}\n", $"token|Source={Path.Combine(_folder, "token")}");
    }

    [TestMethod]
    [DataRow("token|Source={folder}/no-such-token", "BSEC1003", "DockerSecret 'token': the source file '{folder}/no-such-token' does not exist.")]
    [DataRow("token", "BSEC1001", "DockerSecret 'token'")]
    [DataRow("token|EnvironmentVariable=BUILDSECRETS_NET472_UNSET", "BSEC1005", "BUILDSECRETS_NET472_UNSET")]
    [DataRow("token|UserSecret=Feed:Token", "BSEC1017", "UserSecretsId")]
    public async Task On_net472_an_input_error_is_reported_with_its_code_before_docker_starts(string secret, string code, string message)
    {
        using var docker = FakeDocker.Create();

        var run = await RunAsync(docker.Path, "FROM scratch\nRUN --mount=type=secret,id=token true\n", secret.Replace("{folder}", _folder, StringComparison.Ordinal));

        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "host: resolver registered: True");
        StringAssert.Contains(run.Output, $"error {code}: ");
        StringAssert.Contains(run.Output, message.Replace("{folder}", _folder, StringComparison.Ordinal));
        Assert.AreEqual(0, docker.Invocations.Count, string.Join(Environment.NewLine, docker.Invocations));
    }

    [TestMethod]
    public async Task On_net472_a_build_mounts_the_secret_and_the_scan_proves_the_image_clean()
    {
        var run = await BuildOnTheEngineAsync("RUN --mount=type=secret,id=token,required=true test -s /run/secrets/token && echo mounted > /app/mounted.txt");

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "host: resolver registered: True");
        StringAssert.Matches(run.Output, new System.Text.RegularExpressions.Regex(@"output ImageId=sha256:[0-9a-f]{64}"));
        StringAssert.Contains(run.Output, $"output Images={_repository}:latest");
        Assert.IsFalse(run.Output.Contains(_secret, StringComparison.Ordinal), run.Output);
        var mounted = await DockerEngine.RunAsync("run", "--rm", "--network", "none", _repository + ":latest", "cat", "/app/mounted.txt");
        Assert.AreEqual("mounted", mounted.Output.Trim(), mounted.ToString());
        CollectionAssert.AreEqual(Array.Empty<string>(), (await DockerEngine.FindInSavedImageAsync(_repository + ":latest", _secret)).ToArray());
    }

    [TestMethod]
    public async Task On_net472_a_secret_copied_into_a_layer_is_BSEC5001_and_the_tag_is_removed()
    {
        var run = await BuildOnTheEngineAsync("RUN --mount=type=secret,id=token cp /run/secrets/token /app/token-copy");

        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "error BSEC5001");
        StringAssert.Contains(run.Output, "app/token-copy");
        Assert.IsFalse(run.Output.Contains(_secret, StringComparison.Ordinal), run.Output);
        var inspect = await DockerEngine.RunAsync("image", "inspect", _repository + ":latest");
        Assert.AreNotEqual(0, inspect.ExitCode, inspect.ToString());
    }
}
