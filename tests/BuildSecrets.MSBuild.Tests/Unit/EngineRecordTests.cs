using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Pipeline;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>The engine probe is remembered under obj/ for ten minutes, and never across a change that could mean another engine.</summary>
[TestClass]
public sealed class EngineRecordTests
{
    private static readonly DateTime Start = new(2026, 11, 29, 7, 0, 0, DateTimeKind.Utc);

    private string _folder = null!;
    private string _socket = null!;
    private FakeDocker _docker = null!;
    private DateTime _now = Start;
    private readonly RecordingLog _log = new();
    private readonly Dictionary<string, string> _environment = [];

    [TestInitialize]
    public void CreateFolderAndClient()
    {
        _folder = Repository.NewTempFolder("engine-record");
        _socket = Path.Combine(_folder, "docker.sock");
        File.WriteAllText(_socket, string.Empty);
        _environment["DOCKER_HOST"] = "unix://" + _socket;
        _docker = FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.1", buildx: true);
    }

    [TestCleanup]
    public void DeleteFolderAndClient()
    {
        _docker.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private string RecordFile => Path.Combine(_folder, "obj", "engine");

    private int Probes => _docker.Invocations.Count(i => i == "--version");

    private ImageBuildOptions Options => new()
    {
        DockerCli = _docker.Path,
        GetEnvironmentVariable = name => _environment.TryGetValue(name, out var value) ? value : null,
        UtcNow = () => _now,
    };

    private BuildRequest Request => new()
    {
        Dockerfile = Path.Combine(_folder, "Dockerfile"),
        Context = _folder,
        Repository = "engine",
        Tags = ["latest"],
        ImageIdFile = Path.Combine(_folder, "obj", "iid"),
    };

    private Task<Engine> ConnectAsync() => Engine.ConnectAsync(_log, Options, Request, CancellationToken.None);

    /// <summary>Connects, makes the change, connects again: the second connect must probe again.</summary>
    private async Task AssertProbesAgainAfter(Action change)
    {
        await ConnectAsync();
        Assert.AreEqual(1, Probes);
        _now += TimeSpan.FromMinutes(1);
        change();

        await ConnectAsync();

        Assert.AreEqual(2, Probes, string.Join("\n", _docker.Invocations));
    }

    private static void Touch(string path, int seconds) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(seconds));

    [TestMethod]
    public async Task A_second_build_within_ten_minutes_takes_the_engine_from_the_record_without_a_probe()
    {
        var first = await ConnectAsync();
        var invocations = _docker.Invocations.Count;
        _now += TimeSpan.FromMinutes(9);

        var second = await ConnectAsync();

        Assert.AreEqual(invocations, _docker.Invocations.Count, string.Join("\n", _docker.Invocations));
        Assert.AreEqual(first.Info, second.Info);
        Assert.AreEqual(BuildMode.Buildx, second.Mode);
        Assert.AreEqual("github.com/docker/buildx v0.17.1 257815a", second.Info.BuildxVersion);
        Assert.IsTrue(_log.Messages.Any(m => !m.Important && m.Text.Contains("probed the client", StringComparison.Ordinal)));
        Assert.IsTrue(_log.Messages.Any(m => !m.Important && m.Text.Contains("were not asked again", StringComparison.Ordinal)));
    }

    [TestMethod]
    public async Task A_podman_answer_is_recorded_as_podman()
    {
        _docker.Dispose();
        _docker = FakeDocker.Create(podman: true);

        await ConnectAsync();
        var second = await ConnectAsync();

        Assert.AreEqual(1, Probes);
        Assert.AreEqual(BuildMode.Podman, second.Mode);
        Assert.AreEqual("4.3.1", second.Info.ClientVersion);
    }

    [TestMethod]
    public Task After_ten_minutes_the_engine_is_probed_again() =>
        AssertProbesAgainAfter(() => _now += TimeSpan.FromMinutes(9));

    [TestMethod]
    public Task A_clock_set_back_before_the_record_probes_again() =>
        AssertProbesAgainAfter(() => _now -= TimeSpan.FromMinutes(2));

    [TestMethod]
    public Task A_client_file_written_since_probes_again() =>
        AssertProbesAgainAfter(() => Touch(_docker.Path, 5));

    [TestMethod]
    [DataRow("DOCKER_HOST", "tcp://127.0.0.1:2375")]
    [DataRow("DOCKER_CONTEXT", "rootless")]
    [DataRow("DOCKER_CONFIG", "/nonexistent/docker-config")]
    [DataRow("CONTAINER_HOST", "unix:///run/podman/podman.sock")]
    [DataRow("CONTAINER_CONNECTION", "remote")]
    [DataRow("DOCKER_BUILDKIT", "0")]
    public Task Another_engine_variable_probes_again(string variable, string value) =>
        AssertProbesAgainAfter(() => _environment[variable] = value);

    [TestMethod]
    public Task A_config_json_written_since_probes_again()
    {
        var config = Path.Combine(_folder, "docker-config");
        Directory.CreateDirectory(config);
        File.WriteAllText(Path.Combine(config, "config.json"), "{\"currentContext\": \"default\"}");
        _environment["DOCKER_CONFIG"] = config;

        return AssertProbesAgainAfter(() => Touch(Path.Combine(config, "config.json"), 5));
    }

    [TestMethod]
    public Task A_config_json_under_the_home_folder_written_since_probes_again()
    {
        var config = Path.Combine(_folder, "home", ".docker");
        Directory.CreateDirectory(config);
        File.WriteAllText(Path.Combine(config, "config.json"), "{}");
        _environment["HOME"] = Path.Combine(_folder, "home");

        return AssertProbesAgainAfter(() => File.WriteAllText(Path.Combine(config, "config.json"), "{\"currentContext\": \"rootless\"}"));
    }

    [TestMethod]
    public Task A_buildx_plugin_installed_since_probes_again()
    {
        var config = Path.Combine(_folder, "docker-config");
        _environment["DOCKER_CONFIG"] = config;

        return AssertProbesAgainAfter(() =>
        {
            Directory.CreateDirectory(Path.Combine(config, "cli-plugins"));
            File.WriteAllText(Path.Combine(config, "cli-plugins", "docker-buildx"), "plugin");
        });
    }

    [TestMethod]
    public Task A_socket_made_again_by_a_restarted_daemon_probes_again() =>
        AssertProbesAgainAfter(() => Touch(_socket, 5));

    [TestMethod]
    public Task A_socket_that_went_away_probes_again() =>
        AssertProbesAgainAfter(() => File.Delete(_socket));

    [TestMethod]
    [DataRow("")]
    [DataRow("not a record")]
    [DataRow("key=0000\nwritten=yesterday\nclient=28.2.2\n")]
    public async Task A_corrupt_record_probes_again_and_is_written_anew(string corrupt)
    {
        await AssertProbesAgainAfter(() => File.WriteAllText(RecordFile, corrupt));

        StringAssert.Contains(File.ReadAllText(RecordFile), "client=28.2.2");
        await ConnectAsync();
        Assert.AreEqual(2, Probes);
    }

    [TestMethod]
    public async Task A_failed_probe_is_not_recorded()
    {
        _docker.Dispose();
        _docker = FakeDocker.Create(serverVersion: null);

        var error = await Assert.ThrowsExactlyAsync<BuildSecretsException>(ConnectAsync);
        Assert.AreEqual("BSEC2002", error.Diagnostic.Code);
        Assert.IsFalse(File.Exists(RecordFile));

        await Assert.ThrowsExactlyAsync<BuildSecretsException>(ConnectAsync);
        Assert.AreEqual(2, Probes);
    }

    [TestMethod]
    public async Task A_client_that_cannot_build_with_secrets_is_not_recorded()
    {
        _docker.Dispose();
        _docker = FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: false);

        var error = await Assert.ThrowsExactlyAsync<BuildSecretsException>(ConnectAsync);

        Assert.AreEqual("BSEC2003", error.Diagnostic.Code);
        Assert.IsFalse(File.Exists(RecordFile));
    }

    [TestMethod]
    public void The_socket_is_the_default_one_or_a_unix_DOCKER_HOST_and_none_over_a_pipe_tcp_or_ssh()
    {
        Assert.AreEqual("/var/run/docker.sock", EngineFingerprint.Socket(null, windows: false));
        Assert.AreEqual("/run/user/1000/docker.sock", EngineFingerprint.Socket("unix:///run/user/1000/docker.sock", windows: false));
        Assert.IsNull(EngineFingerprint.Socket(null, windows: true));
        Assert.IsNull(EngineFingerprint.Socket("npipe:////./pipe/docker_engine", windows: true));
        Assert.IsNull(EngineFingerprint.Socket("tcp://127.0.0.1:2375", windows: false));
        Assert.IsNull(EngineFingerprint.Socket("ssh://user@host", windows: false));
    }

    [TestMethod]
    public async Task The_record_holds_the_key_hash_and_what_was_probed_nothing_else()
    {
        await ConnectAsync();

        var lines = File.ReadAllLines(RecordFile);
        StringAssert.Matches(lines[0], new System.Text.RegularExpressions.Regex("^key=[0-9a-f]{64}$"));
        CollectionAssert.AreEqual(
            new[] { "written", "client", "hasBuildx", "podman", "server", "buildx" },
            lines.Skip(1).Select(l => l.Substring(0, l.IndexOf('=', StringComparison.Ordinal))).ToArray());
        Assert.IsFalse(File.ReadAllText(RecordFile).Contains(_socket, StringComparison.Ordinal));
    }
}
