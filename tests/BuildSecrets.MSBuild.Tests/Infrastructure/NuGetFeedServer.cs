using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>
/// A private NuGet v3 feed on 127.0.0.1 that requires basic authentication: the service index
/// (<c>/v3/index.json</c>) and the package base address (flat container) over the .nupkg files of a
/// folder. Every request without the expected credentials gets 401 with a Basic challenge, as
/// Azure Artifacts and GitHub Packages answer.
/// </summary>
internal sealed class NuGetFeedServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _expectedAuthorization;
    private readonly Dictionary<string, Dictionary<string, string>> _packages = new(StringComparer.OrdinalIgnoreCase);
    private readonly Task _loop;
    private int _authorized;
    private int _unauthorized;

    public NuGetFeedServer(string folder, string user, string password)
    {
        _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        foreach (var nupkg in Directory.EnumerateFiles(folder, "*.nupkg"))
        {
            var (id, version) = Identity(nupkg);
            if (!_packages.TryGetValue(id, out var versions))
            {
                _packages[id] = versions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            }

            versions[version] = nupkg;
        }

        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>The service index, the URL a NuGet.Config names.</summary>
    public string Url => $"http://127.0.0.1:{Port}/v3/index.json";

    public int AuthorizedRequests => Volatile.Read(ref _authorized);

    public int UnauthorizedRequests => Volatile.Read(ref _unauthorized);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends by its GetContext failing once the listener stops.
        }
    }

    private static (string Id, string Version) Identity(string nupkg)
    {
        using var archive = ZipFile.OpenRead(nupkg);
        var nuspec = archive.Entries.Single(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        using var stream = nuspec.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value.Trim();
        return (Value("id"), Value("version"));
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => Answer(context));
        }
    }

    private void Answer(HttpListenerContext context)
    {
        using var response = context.Response;
        try
        {
            if (context.Request.Headers["Authorization"] != _expectedAuthorization)
            {
                Interlocked.Increment(ref _unauthorized);
                response.StatusCode = 401;
                response.AddHeader("WWW-Authenticate", "Basic realm=\"private feed\"");
                return;
            }

            Interlocked.Increment(ref _authorized);
            var path = context.Request.Url!.AbsolutePath.ToLowerInvariant();
            var flat = "/v3/flat/";
            if (path == "/v3/index.json")
            {
                Json(response, new
                {
                    version = "3.0.0",
                    resources = new object[]
                    {
                        new Dictionary<string, string> { ["@id"] = $"http://127.0.0.1:{Port}{flat}", ["@type"] = "PackageBaseAddress/3.0.0" },
                    },
                });
            }
            else if (path.StartsWith(flat, StringComparison.Ordinal) && path.Substring(flat.Length).Split('/') is var parts)
            {
                if (parts is [var id, "index.json"] && _packages.TryGetValue(id, out var versions))
                {
                    Json(response, new { versions = versions.Keys.Select(v => v.ToLowerInvariant()).ToArray() });
                }
                else if (parts is [var packageId, var version, var file] && file.EndsWith(".nupkg", StringComparison.Ordinal)
                    && _packages.TryGetValue(packageId, out var known) && known.TryGetValue(version, out var nupkg))
                {
                    response.ContentType = "application/octet-stream";
                    var bytes = File.ReadAllBytes(nupkg);
                    response.ContentLength64 = bytes.Length;
                    response.OutputStream.Write(bytes);
                }
                else
                {
                    response.StatusCode = 404;
                }
            }
            else
            {
                response.StatusCode = 404;
            }
        }
        catch (HttpListenerException)
        {
            // The client went away.
        }
    }

    private static void Json(HttpListenerResponse response, object value)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value);
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
    }
}
