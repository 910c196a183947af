using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace BuildSecrets.Samples;

/// <summary>
/// The tutorial's download server: answers every GET on 127.0.0.1 with "Hello, Admin" when the
/// request carries the expected basic-auth credentials, and with "Hello, guest" otherwise.
/// </summary>
public sealed class BasicAuthServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly string _expectedAuthorization;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _authorizedRequests;
    private int _requests;

    public BasicAuthServer(string user, string password, int port = 0)
    {
        _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>Requests answered with "Hello, Admin".</summary>
    public int AuthorizedRequests => Volatile.Read(ref _authorizedRequests);

    /// <summary>All requests answered.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends by its accept failing once the listener stops.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
            var authorized = false;
            string? line;
            while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
            {
                var colon = line.IndexOf(':');
                if (colon > 0
                    && line.Substring(0, colon).Trim().Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                    && line.Substring(colon + 1).Trim() == _expectedAuthorization)
                {
                    authorized = true;
                }
            }

            Interlocked.Increment(ref _requests);
            if (authorized)
            {
                Interlocked.Increment(ref _authorizedRequests);
            }

            var body = Encoding.UTF8.GetBytes(authorized ? "Hello, Admin\n" : "Hello, guest\n");
            var head = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(head);
            await stream.WriteAsync(body);
        }
    }
}
