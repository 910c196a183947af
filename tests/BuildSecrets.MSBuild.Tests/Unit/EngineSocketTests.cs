using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>
/// The engine's unix socket: found by the docker client's own rules (DOCKER_HOST, DOCKER_CONTEXT,
/// the current context of config.json), never for tcp, ssh, a named pipe or Windows; and asked
/// which images names stand for, with any answer but an id or a 404 signalled for the client to
/// be asked instead.
/// </summary>
[TestClass]
public sealed class EngineSocketTests
{
    private const string Socket = "/run/user/1000/docker.sock";
    private const string ContextSocket = "/home/dev/.docker/run/docker.sock";

    private string _folder = null!;
    private readonly Dictionary<string, string> _environment = [];

    [TestInitialize]
    public void CreateHome()
    {
        _folder = Repository.NewTempFolder("engine-socket");
        _environment["HOME"] = Path.Combine(_folder, "home");
        Directory.CreateDirectory(ConfigFolder);
    }

    [TestCleanup]
    public void DeleteHome() => Directory.Delete(_folder, recursive: true);

    private string ConfigFolder => Path.Combine(_folder, "home", ".docker");

    private string? Resolve(bool windows = false) =>
        EngineSocket.Resolve(name => _environment.TryGetValue(name, out var value) ? value : null, windows);

    private void WriteConfig(string json, string? folder = null) => File.WriteAllText(Path.Combine(folder ?? ConfigFolder, "config.json"), json);

    /// <summary>A context's metadata, where the client keeps it: under the lowercase hex SHA-256 of its name.</summary>
    private void WriteContext(string name, string host, string? folder = null) =>
        WriteContextMeta(name, "{\"Name\":\"" + name + "\",\"Metadata\":{\"Description\":\"test\"},\"Endpoints\":{\"docker\":{\"Host\":\"" + host + "\",\"SkipTLSVerify\":false}}}", folder);

    private void WriteContextMeta(string name, string json, string? folder = null)
    {
        var meta = Path.Combine(folder ?? ConfigFolder, "contexts", "meta", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name))));
        Directory.CreateDirectory(meta);
        File.WriteAllText(Path.Combine(meta, "meta.json"), json);
    }

    [TestMethod]
    public void Without_any_setting_it_is_the_default_socket() =>
        Assert.AreEqual("/var/run/docker.sock", Resolve());

    [TestMethod]
    public void A_unix_DOCKER_HOST_is_its_path()
    {
        _environment["DOCKER_HOST"] = "unix://" + Socket;

        Assert.AreEqual(Socket, Resolve());
    }

    [TestMethod]
    [DataRow("tcp://127.0.0.1:2375")]
    [DataRow("ssh://dev@build-host")]
    [DataRow("npipe:////./pipe/docker_engine")]
    [DataRow("fd://")]
    [DataRow("127.0.0.1:2375")]
    [DataRow("unix://")]
    public void Any_other_DOCKER_HOST_is_no_socket(string host)
    {
        _environment["DOCKER_HOST"] = host;

        Assert.IsNull(Resolve());
    }

    [TestMethod]
    public void DOCKER_HOST_comes_before_DOCKER_CONTEXT_and_the_current_context()
    {
        WriteContext("remote", "tcp://10.0.0.5:2376");
        WriteConfig("""{"currentContext":"remote"}""");
        _environment["DOCKER_CONTEXT"] = "remote";
        _environment["DOCKER_HOST"] = "unix://" + Socket;

        Assert.AreEqual(Socket, Resolve());
    }

    [TestMethod]
    public void DOCKER_CONTEXT_default_is_the_default_socket_whatever_the_current_context()
    {
        WriteContext("remote", "tcp://10.0.0.5:2376");
        WriteConfig("""{"currentContext":"remote"}""");
        _environment["DOCKER_CONTEXT"] = "default";

        Assert.AreEqual("/var/run/docker.sock", Resolve());
    }

    [TestMethod]
    public void DOCKER_CONTEXT_naming_a_unix_context_is_its_socket_whatever_the_current_context()
    {
        WriteContext("desktop-linux", "unix://" + ContextSocket);
        WriteContext("remote", "tcp://10.0.0.5:2376");
        WriteConfig("""{"currentContext":"remote"}""");
        _environment["DOCKER_CONTEXT"] = "desktop-linux";

        Assert.AreEqual(ContextSocket, Resolve());
    }

    [TestMethod]
    public void DOCKER_CONTEXT_naming_a_tcp_or_ssh_context_is_no_socket()
    {
        WriteContext("remote", "tcp://10.0.0.5:2376");
        WriteContext("over-ssh", "ssh://dev@build-host");

        _environment["DOCKER_CONTEXT"] = "remote";
        Assert.IsNull(Resolve());
        _environment["DOCKER_CONTEXT"] = "over-ssh";
        Assert.IsNull(Resolve());
    }

    [TestMethod]
    public void DOCKER_CONTEXT_naming_a_context_without_metadata_is_no_socket()
    {
        _environment["DOCKER_CONTEXT"] = "missing";

        Assert.IsNull(Resolve());
    }

    [TestMethod]
    [DataRow("not json")]
    [DataRow("""{"Name":"broken","Endpoints":{"docker":{}}}""")]
    [DataRow("""{"Name":"broken","Endpoints":{"docker":{"Host":42}}}""")]
    [DataRow("""{"Name":"broken"}""")]
    [DataRow("[]")]
    public void A_context_whose_metadata_names_no_unix_host_is_no_socket(string meta)
    {
        WriteContextMeta("broken", meta);
        _environment["DOCKER_CONTEXT"] = "broken";

        Assert.IsNull(Resolve());
    }

    [TestMethod]
    [DataRow("{}")]
    [DataRow("""{"auths":{}}""")]
    [DataRow("""{"currentContext":""}""")]
    [DataRow("""{"currentContext":null}""")]
    [DataRow("""{"currentContext":"default"}""")]
    public void A_config_json_without_a_current_context_or_with_default_is_the_default_socket(string config)
    {
        WriteConfig(config);

        Assert.AreEqual("/var/run/docker.sock", Resolve());
    }

    [TestMethod]
    public void The_current_context_of_config_json_is_its_socket()
    {
        WriteContext("rootless", "unix://" + Socket);
        WriteConfig("""{"auths":{"registry.example.com":{}},"currentContext":"rootless"}""");

        Assert.AreEqual(Socket, Resolve());
    }

    [TestMethod]
    public void A_current_context_over_tcp_or_without_metadata_is_no_socket()
    {
        WriteContext("remote", "tcp://10.0.0.5:2376");
        WriteConfig("""{"currentContext":"remote"}""");
        Assert.IsNull(Resolve());

        WriteConfig("""{"currentContext":"missing"}""");
        Assert.IsNull(Resolve());
    }

    [TestMethod]
    [DataRow("{")]
    [DataRow("not json")]
    [DataRow("[]")]
    [DataRow("""{"currentContext":42}""")]
    public void A_malformed_config_json_is_no_socket(string config)
    {
        WriteConfig(config);

        Assert.IsNull(Resolve());
    }

    [TestMethod]
    public void DOCKER_CONFIG_is_the_configuration_folder_instead_of_the_home_one()
    {
        var config = Path.Combine(_folder, "docker-config");
        Directory.CreateDirectory(config);
        WriteContext("rootless", "unix://" + Socket, config);
        WriteConfig("""{"currentContext":"rootless"}""", config);
        WriteConfig("""{"currentContext":"remote"}""");
        _environment["DOCKER_CONFIG"] = config;

        Assert.AreEqual(Socket, Resolve());
    }

    [TestMethod]
    public void Without_a_configuration_folder_only_DOCKER_HOST_or_the_default_context_tell()
    {
        _environment.Remove("HOME");
        Assert.IsNull(Resolve(), "the current context cannot be read");

        _environment["DOCKER_CONTEXT"] = "default";
        Assert.AreEqual("/var/run/docker.sock", Resolve());

        _environment["DOCKER_CONTEXT"] = "rootless";
        Assert.IsNull(Resolve());

        _environment["DOCKER_HOST"] = "unix://" + Socket;
        Assert.AreEqual(Socket, Resolve());
    }

    [TestMethod]
    public void On_Windows_there_is_never_a_socket()
    {
        _environment["USERPROFILE"] = Path.Combine(_folder, "home");
        Assert.IsNull(Resolve(windows: true), "the default named pipe");

        WriteContext("rootless", "unix://" + Socket);
        WriteConfig("""{"currentContext":"rootless"}""");
        Assert.IsNull(Resolve(windows: true), "a unix context");

        _environment["DOCKER_HOST"] = "unix://" + Socket;
        Assert.IsNull(Resolve(windows: true), "a unix DOCKER_HOST");

        _environment["DOCKER_HOST"] = "npipe:////./pipe/docker_engine";
        Assert.IsNull(Resolve(windows: true), "a named pipe");
    }

    private static Task<IReadOnlyList<string>?> AskAsync(FakeDaemon daemon, params string[] names) =>
        Task.Run(() => EngineSocket.ImageIds(daemon.SocketPath, names, CancellationToken.None));

    [TestMethod]
    public async Task Each_name_is_asked_with_one_HTTP_1_0_request_and_the_ids_come_in_order()
    {
        var other = "sha256:" + new string('b', 64);
        using var daemon = FakeDaemon.Start(line => FakeDaemon.Found(line.Contains("base", StringComparison.Ordinal) ? other : FakeDaemon.ImageId));

        var ids = await AskAsync(daemon, "consumer:latest", "registry.example.com:5000/team/app_1.0@sha256:" + new string('c', 64), "base-image/runtime:1");

        CollectionAssert.AreEqual(new[] { FakeDaemon.ImageId, FakeDaemon.ImageId, other }, ids!.ToArray());
        CollectionAssert.AreEqual(
            new[]
            {
                "GET /images/consumer:latest/json HTTP/1.0\r\n\r\n",
                $"GET /images/registry.example.com:5000/team/app_1.0@sha256:{new string('c', 64)}/json HTTP/1.0\r\n\r\n",
                "GET /images/base-image/runtime:1/json HTTP/1.0\r\n\r\n",
            },
            daemon.Requests.ToArray());
    }

    [TestMethod]
    public async Task An_id_without_its_sha256_prefix_gets_it_as_the_client_gives_it()
    {
        using var daemon = FakeDaemon.Having(FakeDaemon.ImageId.Substring("sha256:".Length));

        CollectionAssert.AreEqual(new[] { FakeDaemon.ImageId }, (await AskAsync(daemon, "consumer:latest"))!.ToArray());
    }

    [TestMethod]
    public async Task A_body_without_a_length_read_to_the_close_is_taken()
    {
        using var daemon = FakeDaemon.Start(_ => "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Id\":\"" + FakeDaemon.ImageId + "\"}");

        CollectionAssert.AreEqual(new[] { FakeDaemon.ImageId }, (await AskAsync(daemon, "consumer:latest"))!.ToArray());
    }

    [TestMethod]
    public async Task A_name_the_engine_lacks_makes_the_whole_answer_null()
    {
        using var daemon = FakeDaemon.Start(line => line.Contains("/consumer:1.0/", StringComparison.Ordinal) ? FakeDaemon.Missing(line) : FakeDaemon.Found(FakeDaemon.ImageId));

        Assert.IsNull(await AskAsync(daemon, "consumer:latest", "consumer:1.0", "base:1"));
        Assert.AreEqual(2, daemon.Requests.Count, "nothing is asked after a name the engine lacks");
    }

    [TestMethod]
    [DataRow("HTTP/1.0 500 Internal Server Error\r\nContent-Type: application/json\r\n\r\n{\"message\":\"boom\"}")]
    [DataRow("HTTP/1.1 301 Moved Permanently\r\nLocation: /images/x/json\r\n\r\n")]
    [DataRow("HTTP/1.0 400 Bad Request\r\n\r\n{\"message\":\"invalid reference format\"}")]
    [DataRow("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"RepoTags\":[\"consumer:latest\"]}")]
    [DataRow("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Id\":42}")]
    [DataRow("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Id\":\"\"}")]
    [DataRow("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Id\":\"sha256:1234")]
    [DataRow("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nnot json at all")]
    [DataRow("HTTP/1.0 200 OK\r\nContent-Length: 4000\r\n\r\n{\"Id\":\"sha256:1234\"}")]
    [DataRow("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"Id\":\"sha256:1\"}\r\n0\r\n\r\n")]
    [DataRow("SSH-2.0-OpenSSH_9.2\r\n")]
    [DataRow("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n")]
    [DataRow("garbage\r\n\r\n{\"Id\":\"sha256:1234\"}")]
    [DataRow("")]
    public async Task Any_other_answer_is_signalled_for_the_client_to_be_asked(string answer)
    {
        using var daemon = FakeDaemon.Start(_ => answer);

        await Assert.ThrowsExactlyAsync<EngineSocketException>(() => AskAsync(daemon, "consumer:latest"));
    }

    [TestMethod]
    public async Task A_connection_closed_without_an_answer_is_signalled()
    {
        using var daemon = FakeDaemon.Start(_ => null);

        await Assert.ThrowsExactlyAsync<EngineSocketException>(() => AskAsync(daemon, "consumer:latest"));
        Assert.AreEqual(1, daemon.Requests.Count);
    }

    [TestMethod]
    public async Task A_socket_nobody_listens_on_is_signalled()
    {
        // Bound, never listening: the socket file is there, and a connection is refused, as after a daemon that died.
        var path = Path.Combine(_folder, "refusing.sock");
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path));

        Assert.IsTrue(File.Exists(path), "a socket file exists as a file does");
        await Assert.ThrowsExactlyAsync<EngineSocketException>(() => Task.Run(() => EngineSocket.ImageIds(path, ["consumer:latest"], CancellationToken.None)));
        await Assert.ThrowsExactlyAsync<EngineSocketException>(() => Task.Run(() => EngineSocket.ImageIds(Path.Combine(_folder, "none.sock"), ["consumer:latest"], CancellationToken.None)));
        await Assert.ThrowsExactlyAsync<EngineSocketException>(() => Task.Run(() => EngineSocket.ImageIds(Path.Combine(_folder, new string('s', 200) + ".sock"), ["consumer:latest"], CancellationToken.None)), "a path too long for a socket");
    }

    [TestMethod]
    [DataRow("consumer:latest?all=1")]
    [DataRow("consumer latest")]
    [DataRow("consumer%2Flatest")]
    [DataRow("consumer#latest")]
    [DataRow("consumer:latest\r\nHost: elsewhere")]
    [DataRow("cönsumer:latest")]
    [DataRow("")]
    public async Task A_name_with_a_character_a_path_would_escape_is_signalled_without_connecting(string name)
    {
        using var daemon = FakeDaemon.Having();

        await Assert.ThrowsExactlyAsync<EngineSocketException>(() => AskAsync(daemon, "consumer:1.0", name));
        Assert.AreEqual(0, daemon.Requests.Count, string.Join("\n", daemon.Requests));
    }

    [TestMethod]
    public async Task A_stuck_daemon_is_signalled_after_the_time_limit()
    {
        using var daemon = FakeDaemon.Start(_ => FakeDaemon.Silence);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsExactlyAsync<EngineSocketException>(() => Task.Run(() => EngineSocket.ImageIds(daemon.SocketPath, ["consumer:latest"], TimeSpan.FromMilliseconds(200), CancellationToken.None)));

        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
    }

    [TestMethod]
    public async Task The_build_s_cancellation_cancels_the_question()
    {
        using var daemon = FakeDaemon.Start(_ => FakeDaemon.Silence);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAsync<OperationCanceledException>(() => Task.Run(() => EngineSocket.ImageIds(daemon.SocketPath, ["consumer:latest"], cancellation.Token)));
    }
}
