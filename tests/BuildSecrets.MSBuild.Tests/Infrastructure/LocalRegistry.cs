using System.Net;
using System.Net.Sockets;
using CliWrap;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>Debian's docker-registry, serving on 127.0.0.1 from a throw-away folder, for push tests.</summary>
internal sealed class LocalRegistry : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CommandTask<CommandResult> _process;
    private readonly string _folder;

    private LocalRegistry(string folder, int port, CommandTask<CommandResult> process)
    {
        _folder = folder;
        Address = $"127.0.0.1:{port}";
        _process = process;
    }

    /// <summary>host:port, as ContainerRegistry takes it.</summary>
    public string Address { get; }

    /// <summary>
    /// A registries.conf that lets Podman use this plain-HTTP registry (CONTAINERS_REGISTRIES_CONF);
    /// Docker trusts registries on 127.0.0.0/8 without TLS by itself.
    /// </summary>
    public string PodmanRegistriesConf
    {
        get
        {
            var file = Path.Combine(_folder, "registries.conf");
            File.WriteAllText(file, $"[[registry]]\nlocation = \"{Address}\"\ninsecure = true\n");
            return file;
        }
    }

    public static async Task<LocalRegistry> StartAsync()
    {
        var executable = "/usr/bin/docker-registry";
        Assert.IsTrue(File.Exists(executable), "docker-registry is not installed: run the tests with eng/test.sh, which installs it");
        var folder = Repository.NewTempFolder("registry");
        var port = FreePort();
        var config = Path.Combine(folder, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Path.Combine(folder, "data")}
            http:
              addr: 127.0.0.1:{port}
            """);
        var stop = new CancellationTokenSource();
        var process = Cli.Wrap(executable).WithArguments(["serve", config]).WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToFile(Path.Combine(folder, "registry.log")))
            .WithStandardErrorPipe(PipeTarget.ToFile(Path.Combine(folder, "registry.err")))
            .ExecuteAsync(stop.Token);
        var registry = new LocalRegistry(folder, port, process);
        registry._stop.Token.Register(stop.Cancel);
        using var client = new HttpClient();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                using var response = await client.GetAsync($"http://{registry.Address}/v2/");
                if (response.IsSuccessStatusCode)
                {
                    return registry;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        var log = File.Exists(Path.Combine(folder, "registry.err")) ? File.ReadAllText(Path.Combine(folder, "registry.err")) : string.Empty;
        await registry.DisposeAsync();
        throw new AssertFailedException($"the local registry did not answer on {registry.Address}: {log}");
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _process;
        }
        catch (OperationCanceledException)
        {
        }

        Directory.Delete(_folder, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
