using System.IO;
#if NET
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using BuildSecrets.MSBuild.Text;
#endif

namespace BuildSecrets.MSBuild.Docker;

/// <summary>
/// The engine's socket did not answer as a docker daemon does (refused, timed out, another status,
/// no image id, a name it cannot be asked): the client is asked instead. The message says what
/// happened, never more than the socket and the image name asked.
/// </summary>
internal sealed class EngineSocketException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The docker daemon's own HTTP API on its unix socket, for the one question of a publish that
/// changes nothing (which images some names stand for): the answer comes without starting the
/// client. Only a local unix socket is spoken to, the one the docker client itself would reach by
/// its own rules (DOCKER_HOST, DOCKER_CONTEXT, the current context of its config.json); anything
/// else (tcp, ssh, a named pipe, Windows, .NET Framework) is left to the client.
/// </summary>
internal static class EngineSocket
{
    /// <summary>Where the docker daemon listens unless told otherwise.</summary>
    public const string DefaultSocket = "/var/run/docker.sock";

    private const string UnixScheme = "unix://";

    /// <summary>
    /// The unix socket the docker client would reach its engine through, by the client's rules:
    /// DOCKER_HOST, else the context DOCKER_CONTEXT names, else the current context of config.json;
    /// the default context is the default socket. Null when the client would take another way (tcp,
    /// ssh, a named pipe), on Windows, on .NET Framework, and when it cannot be told (a
    /// configuration or context that cannot be read, no configuration folder).
    /// </summary>
    public static string? Resolve(Func<string, string?> getEnvironmentVariable, bool windows)
    {
#if NET
        return windows ? null : ResolveOnUnix(getEnvironmentVariable);
#else
        return null;
#endif
    }

    /// <summary>The path of a <c>unix://PATH</c> host; null for any other scheme (tcp, ssh, npipe, fd) or an empty path.</summary>
    public static string? UnixPath(string host) =>
        host.StartsWith(UnixScheme, StringComparison.Ordinal) && host.Length > UnixScheme.Length ? host.Substring(UnixScheme.Length) : null;

    /// <summary>The client's configuration folder ($DOCKER_CONFIG, else ~/.docker); null without a home folder.</summary>
    public static string? ConfigFolder(Func<string, string?> getEnvironmentVariable, bool windows)
    {
        if (getEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } config)
        {
            return config;
        }

        var home = getEnvironmentVariable(windows ? "USERPROFILE" : "HOME");
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".docker");
    }

#if NET
    private const string DefaultContext = "default";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>An image's inspection is a few kilobytes; more than this is no answer to trust.</summary>
    private const int MostResponseBytes = 16 * 1024 * 1024;

    private static string? ResolveOnUnix(Func<string, string?> getEnvironmentVariable)
    {
        if (getEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host)
        {
            return UnixPath(host);
        }

        var configFolder = ConfigFolder(getEnvironmentVariable, windows: false);
        var context = getEnvironmentVariable("DOCKER_CONTEXT") is { Length: > 0 } named ? named : CurrentContext(configFolder);
        return context switch
        {
            null => null,
            DefaultContext => DefaultSocket,
            _ => ContextSocket(configFolder, context),
        };
    }

    /// <summary>The current context of config.json: "default" when the file or its field is absent or empty; null when it cannot be read.</summary>
    private static string? CurrentContext(string? configFolder)
    {
        if (configFolder is null)
        {
            return null;
        }

        var file = Path.Combine(configFolder, "config.json");
        if (!File.Exists(file))
        {
            return DefaultContext;
        }

        if (ReadJson(file) is not IReadOnlyDictionary<string, object?> config)
        {
            return null;
        }

        return config.TryGetValue("currentContext", out var current)
            ? current switch
            {
                null or "" => DefaultContext,
                string name => name,
                _ => null,
            }
            : DefaultContext;
    }

    /// <summary>The unix socket of a named context (its meta.json, under the SHA-256 of its name), or null.</summary>
    private static string? ContextSocket(string? configFolder, string context)
    {
        if (configFolder is null)
        {
            return null;
        }

        var meta = Path.Combine(configFolder, "contexts", "meta", Hex.Sha256(Encoding.UTF8.GetBytes(context)), "meta.json");
        return File.Exists(meta) && Json.String(Json.Object(Json.Object(ReadJson(meta), "Endpoints"), "docker"), "Host") is { } host ? UnixPath(host) : null;
    }

    private static object? ReadJson(string file)
    {
        try
        {
            return Json.Parse(File.ReadAllText(file));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The ids of images by name, in the order asked (<c>GET /images/NAME/json</c>, one request a
    /// name); null when the engine lacks any of them (404), as the client's non-zero exit says.
    /// Throws <see cref="EngineSocketException"/> for any other answer, or none within ten seconds
    /// a request, and for a name with a character a request path would need escaped: the client is
    /// to be asked then. Blocking: it runs on a worker thread of its own (the question is asked
    /// while the build compares its inputs), and a few kilobytes on a local socket need none of the
    /// asynchronous machinery that would have to be started first.
    /// </summary>
    public static IReadOnlyList<string>? ImageIds(string socketPath, IReadOnlyList<string> names, CancellationToken cancellationToken) =>
        ImageIds(socketPath, names, RequestTimeout, cancellationToken);

    /// <summary>The same, with another time limit for each request (tests).</summary>
    internal static IReadOnlyList<string>? ImageIds(string socketPath, IReadOnlyList<string> names, TimeSpan requestTimeout, CancellationToken cancellationToken)
    {
        try
        {
            return Ask(socketPath, names, requestTimeout, cancellationToken);
        }
        catch (Exception exception) when (exception is not (OperationCanceledException or EngineSocketException))
        {
            // Refused, reset, a path too long for a socket, a body that is not JSON: whatever it is, the client is asked.
            throw new EngineSocketException("the engine's socket did not answer as a daemon does: " + exception.Message, exception);
        }
    }

    private static string[]? Ask(string socketPath, IReadOnlyList<string> names, TimeSpan requestTimeout, CancellationToken cancellationToken)
    {
        if (names.FirstOrDefault(n => !IsPlainName(n)) is { } unusual)
        {
            throw new EngineSocketException($"the image name '{unusual}' is not sent as a request path");
        }

        var ids = new string[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            var (status, body) = Get(socketPath, $"/images/{names[i]}/json", requestTimeout, cancellationToken);
            switch (status)
            {
                case 404:
                    return null;
                case 200:
                    ids[i] = IdOf(body) is { Length: > 0 } id
                        ? DockerClient.ImageId(id)
                        : throw new EngineSocketException($"the engine's description of '{names[i]}' has no Id");
                    break;
                default:
                    throw new EngineSocketException($"the engine answered HTTP {status} for '{names[i]}'");
            }
        }

        return ids;
    }

    /// <summary>Whether a name goes into a request path as it is: letters, digits and <c>. _ / : @ -</c>.</summary>
    private static bool IsPlainName(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '/' or ':' or '@' or '-');

    private static string? IdOf(byte[] body) => Json.String(Json.Parse(Encoding.UTF8.GetString(body)), "Id");

    /// <summary>
    /// One HTTP/1.0 request on a connection of its own: the daemon closes it after the body (no
    /// chunked encoding, no keep-alive). The status and the body. The build's cancellation closes
    /// the socket, which ends a call waiting on it.
    /// </summary>
    private static (int Status, byte[] Body) Get(string socketPath, string target, TimeSpan requestTimeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var closing = cancellationToken.Register(socket.Dispose);
        var started = System.Diagnostics.Stopwatch.StartNew();
        socket.SendTimeout = socket.ReceiveTimeout = (int)requestTimeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            socket.Send(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.0\r\n\r\n"));
            using var response = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = socket.Receive(buffer)) > 0)
            {
                if (response.Length + read > MostResponseBytes)
                {
                    throw new EngineSocketException($"the engine's answer is longer than {MostResponseBytes} bytes");
                }

                if (started.Elapsed > requestTimeout)
                {
                    throw TimedOut(requestTimeout, null);
                }

                response.Write(buffer, 0, read);
            }

            return ParseResponse(response.ToArray());
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is not EngineSocketException)
        {
            throw new OperationCanceledException("the build was canceled while the engine was asked", exception, cancellationToken);
        }
        catch (SocketException exception) when (exception.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw TimedOut(requestTimeout, exception);
        }
    }

    private static EngineSocketException TimedOut(TimeSpan requestTimeout, Exception? inner) =>
        new($"the engine did not answer within {requestTimeout.TotalSeconds:0.#} seconds", inner);

    /// <summary>The status and body of an HTTP/1.x response read to its end.</summary>
    private static (int Status, byte[] Body) ParseResponse(byte[] response)
    {
        var end = response.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = end < 0 ? string.Empty : Encoding.ASCII.GetString(response, 0, end);
        var lines = head.Split(["\r\n"], StringSplitOptions.None);
        var status = lines[0].Split(' ');
        if (end < 0
            || !lines[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || status.Length < 2
            || status[1].Length != 3
            || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            throw new EngineSocketException("the engine's answer is not an HTTP response");
        }

        var body = response.AsSpan(end + 4).ToArray();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? line : line.Substring(0, colon);
            var value = colon < 0 ? string.Empty : line.Substring(colon + 1).Trim();
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && value != body.Length.ToString(CultureInfo.InvariantCulture)))
            {
                throw new EngineSocketException($"the engine's answer has an unexpected {name}");
            }
        }

        return (code, body);
    }
#endif
}
