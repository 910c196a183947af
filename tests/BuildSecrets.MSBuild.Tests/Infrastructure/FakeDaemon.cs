using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>
/// A docker daemon's socket for fast tests: a unix socket in a private (0700) temp folder that
/// reads each request up to its blank line, records it, and writes the canned answer the test
/// gives for its request line (null: none; <see cref="Silence"/>: none, and the connection is kept
/// open), then closes the connection.
/// </summary>
internal sealed class FakeDaemon : IDisposable
{
    public const string ImageId = "sha256:5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

    /// <summary>The answer of a daemon that is stuck: it never writes nor closes.</summary>
    public const string Silence = "(silence)";

    private readonly string _folder;
    private readonly Socket _listener;
    private readonly Func<string, string?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private FakeDaemon(Func<string, string?> answer)
    {
        _folder = Repository.NewTempFolder("daemon");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        SocketPath = Path.Combine(_folder, "docker.sock");
        _answer = answer;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(16);
        _serving = Task.Run(ServeAsync);
    }

    public string SocketPath { get; }

    /// <summary>Every request as it was read (up to and with its blank line), in order.</summary>
    public IReadOnlyList<string> Requests => _requests.ToArray();

    private readonly ConcurrentQueue<string> _requests = new();

    /// <summary>A daemon that answers each request with what <paramref name="answer"/> makes of its request line.</summary>
    public static FakeDaemon Start(Func<string, string?> answer) => new(answer);

    /// <summary>A daemon that has every image: its id is <paramref name="id"/>, whatever the name.</summary>
    public static FakeDaemon Having(string id = ImageId) => Start(_ => Found(id));

    /// <summary>An HTTP/1.0 answer as the daemon writes one.</summary>
    public static string Response(int status, string reason, string body) =>
        $"HTTP/1.0 {status} {reason}\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    /// <summary>200, with an image's description (a part of it).</summary>
    public static string Found(string id) =>
        Response(200, "OK", $$$"""{"Id":"{{{id}}}","RepoTags":["consumer:latest"],"RootFS":{"Type":"layers","Layers":["sha256:{{{new string('1', 64)}}}"]}}""" + "\n");

    /// <summary>404, as the daemon says it has no such image.</summary>
    public static string Missing(string requestLine) =>
        Response(404, "Not Found", $$"""{"message":"No such image: {{requestLine.Split(' ')[1]}}"}""" + "\n");

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            using (connection)
            {
                try
                {
                    var request = await ReadRequestAsync(connection);
                    _requests.Enqueue(request);
                    var answer = _answer(request.Split("\r\n")[0]);
                    if (answer == Silence)
                    {
                        await Task.Delay(Timeout.Infinite, _stop.Token);
                    }
                    else if (answer is { } response)
                    {
                        await connection.SendAsync(Encoding.UTF8.GetBytes(response), SocketFlags.None, _stop.Token);
                    }

                    connection.Shutdown(SocketShutdown.Both);
                }
                catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    // The test is over, or the caller gave up.
                }
            }
        }
    }

    /// <summary>Reads up to the blank line that ends the request's head.</summary>
    private async Task<string> ReadRequestAsync(Socket connection)
    {
        var head = new StringBuilder();
        var buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                break;
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return head.ToString();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _serving.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
