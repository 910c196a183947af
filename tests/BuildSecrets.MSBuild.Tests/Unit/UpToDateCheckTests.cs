using System.Text;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Pipeline;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>
/// The up-to-date check: a build is skipped only when every input is as it was at the last proven
/// build and the engine still has that image under every tag, on the same base image.
/// </summary>
[TestClass]
public sealed class UpToDateCheckTests
{
    private const string Canary = "Canary-uptodate-6a2e9c4b1d";
    private const string BaseId = "sha256:b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";

    /// <summary>The fake engine's answer to 'image inspect --format {{.Id}} NAME...': one id a name.</summary>
    private const string Inspect = """shift 4; for name in "$@"; do case "$name" in base:*) echo "${FAKE_BASE_ID:-sha256:b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1}" ;; *) echo "${FAKE_TAGGED_ID:-$FAKE_IMAGE_ID}" ;; esac; done""";

    private string _folder = null!;
    private FakeDocker _docker = null!;
    private Dictionary<string, byte[]> _values = null!;
    private readonly Dictionary<string, string> _environment = [];
    private string? _cli;
    private bool _windows;

    [TestInitialize]
    public void Create()
    {
        _folder = Repository.NewTempFolder("uptodate");
        Directory.CreateDirectory(Path.Combine(_folder, "context", "app"));
        File.WriteAllText(Path.Combine(_folder, "context", "app", "app.dll"), "version 1");
        File.WriteAllText(Path.Combine(_folder, "Dockerfile"), "FROM base:1\nCOPY app /app\nRUN --mount=type=secret,id=token true\n");
        _docker = FakeDocker.Create(inspect: Inspect);
        _values = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(Canary) };
        _environment["HOME"] = _folder;
        // The fake client's engine has no daemon: nothing listens where DOCKER_HOST points unless a test starts a FakeDaemon there.
        _environment["DOCKER_HOST"] = "unix://" + Path.Combine(_folder, "no-daemon.sock");
    }

    [TestCleanup]
    public void Delete()
    {
        _docker.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private BuildRequest Request => new()
    {
        Dockerfile = Path.Combine(_folder, "Dockerfile"),
        Context = Path.Combine(_folder, "context"),
        Repository = "consumer",
        Tags = ["latest", "1.0"],
        ImageIdFile = Path.Combine(_folder, "obj", "buildsecrets", "image-id.txt"),
    };

    private static readonly DeclaredSecret[] Secrets = [new("token", new EnvironmentSecretSource("TOKEN", _ => Canary))];

    private SecretRotation Rotation => new(Path.Combine(_folder, "home", "rotation.key"));

    private Engine Engine(string serverVersion = "20.10.24") =>
        new(DockerClient.Locate(_docker.Path, null, windows: false), new DockerClientInfo("20.10.24", serverVersion, false), BuildMode.ClassicBuildKit);

    private UpToDateCheck Check(BuildRequest? request = null, Dictionary<string, byte[]>? values = null, Engine? engine = null) =>
        UpToDateCheck.For(request ?? Request, Secrets, values ?? _values, Rotation, engine ?? Engine(), DockerfileReader.Parse(File.ReadAllText(Path.Combine(_folder, "Dockerfile"))), "base:1");

    private async Task<string?> FindAsync(UpToDateCheck check) => await check.FindAsync(Engine().Client, CancellationToken.None);

    [TestMethod]
    public async Task Nothing_changed_is_up_to_date_after_one_call_to_the_engine()
    {
        Check().Record(FakeDocker.ImageId, BaseId);

        Assert.AreEqual(FakeDocker.ImageId, await FindAsync(Check()));
        CollectionAssert.AreEqual(new[] { "image inspect --format {{.Id}} consumer:latest consumer:1.0 base:1" }, _docker.Invocations.ToArray());
    }

    [TestMethod]
    public async Task Podman_ids_without_their_sha256_prefix_are_the_same_images()
    {
        Check().Record(FakeDocker.ImageId, BaseId);
        using var podman = FakeDocker.Create(inspect: """shift 4; for name in "$@"; do case "$name" in base:*) echo b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1 ;; *) echo "${FAKE_IMAGE_ID#sha256:}" ;; esac; done""");

        Assert.AreEqual(FakeDocker.ImageId, await Check().FindAsync(DockerClient.Locate(podman.Path, null, windows: false), CancellationToken.None));
    }

    [TestMethod]
    public async Task Without_a_record_the_image_is_built()
    {
        Assert.IsNull(await FindAsync(Check()));
        Assert.AreEqual(0, _docker.Invocations.Count);
    }

    [TestMethod]
    public async Task A_changed_file_of_the_context_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);
        var file = Path.Combine(_folder, "context", "app", "app.dll");
        var time = File.GetLastWriteTimeUtc(file);
        File.WriteAllText(file, "version 22");
        File.SetLastWriteTimeUtc(file, time);

        Assert.IsNull(await FindAsync(Check()), "same time, another size");
        File.WriteAllText(file, "version 1");
        File.SetLastWriteTimeUtc(file, time.AddSeconds(1));
        Assert.IsNull(await FindAsync(Check()), "same size, another time");
    }

    [TestMethod]
    public async Task A_changed_file_the_Dockerfile_does_not_take_is_up_to_date()
    {
        Check().Record(FakeDocker.ImageId, BaseId);
        File.WriteAllText(Path.Combine(_folder, "context", "notes.txt"), "not copied");

        Assert.AreEqual(FakeDocker.ImageId, await FindAsync(Check()));
    }

    [TestMethod]
    public async Task An_added_file_of_the_context_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);
        File.WriteAllText(Path.Combine(_folder, "context", "app", "new.dll"), "new");

        Assert.IsNull(await FindAsync(Check()));
    }

    [TestMethod]
    public async Task A_changed_Dockerfile_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);
        File.AppendAllText(Path.Combine(_folder, "Dockerfile"), "RUN true\n");

        Assert.IsNull(await FindAsync(Check()));
    }

    [TestMethod]
    public async Task A_changed_build_argument_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);

        Assert.IsNull(await FindAsync(Check(Request with { BuildArgs = [new BuildArgument("MODE", "debug")] })));
    }

    [TestMethod]
    public async Task A_changed_secret_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);

        Assert.IsNull(await FindAsync(Check(values: new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes("Rotated-uptodate-0f9e8d7c") })));
    }

    [TestMethod]
    public async Task Another_engine_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);

        Assert.IsNull(await FindAsync(Check(engine: Engine(serverVersion: "26.1.5"))));
    }

    [TestMethod]
    public async Task Another_tag_set_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);

        Assert.IsNull(await FindAsync(Check(Request with { Tags = ["latest"] })));
    }

    [TestMethod]
    [DataRow("FAKE_TAGGED_ID")]
    [DataRow("FAKE_BASE_ID")]
    public async Task A_tag_or_the_base_image_that_names_another_image_now_is_built(string variable)
    {
        Check().Record(FakeDocker.ImageId, BaseId);
        var moved = FakeDocker.Create(inspect: $"export {variable}=sha256:{new string('c', 64)}; {Inspect}");
        try
        {
            Assert.IsNull(await Check().FindAsync(DockerClient.Locate(moved.Path, null, windows: false), CancellationToken.None));
        }
        finally
        {
            moved.Dispose();
        }
    }

    [TestMethod]
    public async Task An_image_the_engine_no_longer_has_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);
        using var removed = FakeDocker.Create();

        Assert.IsNull(await Check().FindAsync(DockerClient.Locate(removed.Path, null, windows: false), CancellationToken.None));
    }

    [TestMethod]
    public async Task A_build_that_must_reach_past_its_cache_is_never_skipped()
    {
        foreach (var request in new[] { Request with { NoCache = true }, Request with { Pull = true }, Request with { CacheTo = ["type=local,dest=/tmp/cache"] } })
        {
            Check(request).Record(FakeDocker.ImageId, BaseId);
            Assert.IsNull(await FindAsync(Check(request)));
        }
    }

    [TestMethod]
    public async Task A_forgotten_record_is_built()
    {
        Check().Record(FakeDocker.ImageId, BaseId);
        Check().Forget();

        Assert.IsNull(await FindAsync(Check()));
    }

    private ImageBuildOptions Options => new()
    {
        DockerCli = _cli ?? _docker.Path,
        GetEnvironmentVariable = name => _environment.TryGetValue(name, out var value) ? value : null,
        Windows = _windows,
    };

    /// <summary>The engine as a probe described it a moment ago: what lets a publish decide before its checks.</summary>
    private void RecordEngine(DockerClientInfo? info = null) =>
        EngineRecord.For(Request.ImageIdFile, DockerClient.Locate(Options.DockerCli, null, Options.Windows), Options).Write(info ?? new DockerClientInfo("20.10.24", "20.10.24", false));

    /// <summary>The image BeforeChecksAsync found up to date, if any.</summary>
    private async Task<string?> BeforeChecksAsync(RecordingLog? log = null) =>
        (await UpToDateCheck.BeforeChecksAsync(log ?? new RecordingLog(), Options, Request, Secrets, _values, Rotation, UpToDateCheck.AskEarly(Options, Request, CancellationToken.None)))?.ImageId;

    [TestMethod]
    public async Task Without_a_proven_build_the_engine_is_not_asked_before_the_checks()
    {
        RecordEngine();

        Assert.IsNull(await UpToDateCheck.AskEarly(Options, Request, CancellationToken.None));
        Assert.IsNull(await BeforeChecksAsync());
        Assert.AreEqual(0, _docker.Invocations.Count);
    }

    [TestMethod]
    public async Task Nothing_changed_is_decided_before_the_checks_with_one_call_to_the_engine()
    {
        RecordEngine();
        Check().Record(FakeDocker.ImageId, BaseId);

        var log = new RecordingLog();

        var unchanged = await BeforeChecksAsync(log);

        Assert.AreEqual(FakeDocker.ImageId, unchanged);
        CollectionAssert.AreEqual(new[] { "image inspect --format {{.Id}} consumer:latest consumer:1.0 base:1" }, _docker.Invocations.ToArray());
        Assert.IsTrue(log.Messages.Any(m => !m.Important && m.Text.Contains($"the engine was asked through the client {_docker.Path} ", StringComparison.Ordinal)), string.Join("\n", log.Messages));
    }

    /// <summary>A daemon that knows the recorded images, listening where DOCKER_HOST points.</summary>
    private FakeDaemon StartDaemon(Func<string, string?>? answer = null)
    {
        var daemon = FakeDaemon.Start(answer ?? (line => FakeDaemon.Found(line.Contains("/base:1/", StringComparison.Ordinal) ? BaseId : FakeDocker.ImageId)));
        _environment["DOCKER_HOST"] = "unix://" + daemon.SocketPath;
        return daemon;
    }

    [TestMethod]
    public async Task Nothing_changed_is_decided_before_the_checks_through_the_engine_s_socket_without_starting_the_client()
    {
        using var daemon = StartDaemon();
        RecordEngine();
        Check().Record(FakeDocker.ImageId, BaseId);
        var log = new RecordingLog();

        var unchanged = await BeforeChecksAsync(log);

        Assert.AreEqual(FakeDocker.ImageId, unchanged);
        Assert.AreEqual(0, _docker.Invocations.Count, string.Join("\n", _docker.Invocations));
        CollectionAssert.AreEqual(
            new[] { "GET /images/consumer:latest/json HTTP/1.0\r\n\r\n", "GET /images/consumer:1.0/json HTTP/1.0\r\n\r\n", "GET /images/base:1/json HTTP/1.0\r\n\r\n" },
            daemon.Requests.ToArray());
        Assert.IsTrue(log.Messages.Any(m => !m.Important && m.Text.Contains($"the engine was asked through its socket unix://{daemon.SocketPath} ", StringComparison.Ordinal)), string.Join("\n", log.Messages));
    }

    [TestMethod]
    public async Task An_image_the_engine_s_socket_does_not_know_is_the_answer_without_asking_the_client()
    {
        using var daemon = StartDaemon(FakeDaemon.Missing);
        RecordEngine();
        Check().Record(FakeDocker.ImageId, BaseId);

        var answer = await UpToDateCheck.AskEarly(Options, Request, CancellationToken.None);

        Assert.AreEqual(daemon.SocketPath, answer!.Socket);
        Assert.IsNull(answer.Ids);
        Assert.IsNull(await BeforeChecksAsync());
        Assert.AreEqual(0, _docker.Invocations.Count, string.Join("\n", _docker.Invocations));
    }

    [TestMethod]
    [DataRow(null)]
    [DataRow("HTTP/1.0 500 Internal Server Error\r\nContent-Type: application/json\r\n\r\n{\"message\":\"boom\"}")]
    [DataRow("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"message\":\"no id\"}")]
    public async Task A_socket_that_fails_leaves_the_question_to_the_client(string? failure)
    {
        using var daemon = StartDaemon(_ => failure);
        RecordEngine();
        Check().Record(FakeDocker.ImageId, BaseId);
        var log = new RecordingLog();

        var answer = await UpToDateCheck.AskEarly(Options, Request, CancellationToken.None);
        var unchanged = await BeforeChecksAsync(log);

        Assert.IsNull(answer!.Socket);
        Assert.AreEqual(FakeDocker.ImageId, unchanged);
        Assert.IsTrue(daemon.Requests.Count > 0);
        CollectionAssert.AreEqual(
            new[] { "image inspect --format {{.Id}} consumer:latest consumer:1.0 base:1", "image inspect --format {{.Id}} consumer:latest consumer:1.0 base:1" },
            _docker.Invocations.ToArray());
        Assert.IsTrue(log.Messages.Any(m => !m.Important && m.Text.Contains($"the engine was asked through the client {_docker.Path} ", StringComparison.Ordinal)), string.Join("\n", log.Messages));
    }

    [TestMethod]
    [DataRow("podman")]
    [DataRow("another client name")]
    [DataRow("windows")]
    [DataRow("no engine record")]
    [DataRow("an expired engine record")]
    [DataRow("no socket file")]
    [DataRow("a tcp engine")]
    public async Task The_socket_is_not_asked_when_it_may_not_be_the_client_s_engine(string condition)
    {
        using var daemon = StartDaemon();
        switch (condition)
        {
            case "another client name":
                // A wrapper of another name may reach another engine, whatever DOCKER_HOST says.
                _cli = Path.Combine(Path.GetDirectoryName(_docker.Path)!, "docker-remote");
                File.Copy(_docker.Path, _cli);
                break;
            case "windows":
                _windows = true;
                break;
            case "no socket file":
                _environment["DOCKER_HOST"] = "unix://" + Path.Combine(_folder, "gone.sock");
                break;
            case "a tcp engine":
                _environment["DOCKER_HOST"] = "tcp://127.0.0.1:2375";
                break;
        }

        switch (condition)
        {
            case "podman":
                // podman-docker: Podman's client under the name docker, with no daemon behind it.
                RecordEngine(new DockerClientInfo("4.3.1", "4.3.1", HasBuildx: false) { IsPodman = true });
                break;
            case "an expired engine record":
                var written = Options with { UtcNow = () => DateTime.UtcNow - EngineRecord.Lifetime - TimeSpan.FromMinutes(1) };
                EngineRecord.For(Request.ImageIdFile, DockerClient.Locate(Options.DockerCli, null, windows: false), written).Write(new DockerClientInfo("20.10.24", "20.10.24", false));
                break;
            case not "no engine record":
                RecordEngine();
                break;
        }

        Check().Record(FakeDocker.ImageId, BaseId);

        var answer = await UpToDateCheck.AskEarly(Options, Request, CancellationToken.None);

        Assert.IsNull(answer!.Socket);
        Assert.AreEqual(FakeDocker.ImageId, answer.Ids![0]);
        Assert.AreEqual(0, daemon.Requests.Count, string.Join("\n", daemon.Requests));
        CollectionAssert.AreEqual(new[] { "image inspect --format {{.Id}} consumer:latest consumer:1.0 base:1" }, _docker.Invocations.ToArray());
    }

    [TestMethod]
    public async Task A_changed_input_is_not_decided_before_the_checks()
    {
        RecordEngine();
        Check().Record(FakeDocker.ImageId, BaseId);
        File.AppendAllText(Path.Combine(_folder, "Dockerfile"), "RUN true\n");

        Assert.IsNull(await BeforeChecksAsync());
    }

    [TestMethod]
    public async Task Without_the_engine_s_record_nothing_is_decided_before_the_checks()
    {
        Check().Record(FakeDocker.ImageId, BaseId);

        Assert.IsNull(await BeforeChecksAsync());
    }

    [TestMethod]
    public void The_record_holds_no_form_of_the_secret()
    {
        Check().Record(FakeDocker.ImageId, BaseId);

        var record = File.ReadAllText(Path.Combine(_folder, "obj", "buildsecrets", "up-to-date"));
        Assert.IsFalse(record.Contains(Canary, StringComparison.Ordinal));
        Assert.IsFalse(record.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(Canary)), StringComparison.Ordinal));
    }
}
