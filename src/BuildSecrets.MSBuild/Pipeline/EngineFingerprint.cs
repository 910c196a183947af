using System.IO;
using BuildSecrets.MSBuild.Docker;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// What could change the answer of a probe (<see cref="Docker.DockerClient.InspectAsync"/>) without
/// asking the client: the client file, the variables that pick an engine, the docker configuration
/// (its current context), the buildx plugin files and, for an engine behind a unix socket, the
/// socket file (a daemon that restarts, maybe upgraded, makes a new one). Over a named pipe, tcp or
/// ssh there is nothing to look at; the record's time limit covers those.
/// </summary>
internal static class EngineFingerprint
{
    private static readonly string[] Variables = ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "CONTAINER_HOST", "CONTAINER_CONNECTION", "DOCKER_BUILDKIT"];

    private static readonly string[] UnixPluginFolders =
    [
        "/usr/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/local/lib/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/Applications/Docker.app/Contents/Resources/cli-plugins",
    ];

    /// <summary>The key of the engine record for a client started from <paramref name="executable"/>.</summary>
    public static string Of(string executable, Func<string, string?> getEnvironmentVariable, bool windows)
    {
        var key = new RecordKey().AddFileStamp("client", executable);
        foreach (var variable in Variables)
        {
            key.Add(variable, getEnvironmentVariable(variable));
        }

        var configFolder = EngineSocket.ConfigFolder(getEnvironmentVariable, windows);
        if (configFolder is not null)
        {
            key.AddFileStamp("config", Path.Combine(configFolder, "config.json"));
        }

        foreach (var plugin in PluginFolders(configFolder, getEnvironmentVariable, windows).Select(f => Path.Combine(f, windows ? "docker-buildx.exe" : "docker-buildx")))
        {
            key.AddFileStamp("buildx", plugin);
        }

        if (Socket(getEnvironmentVariable("DOCKER_HOST"), windows) is { } socket)
        {
            key.AddFileStamp("socket", socket);
        }

        return key.Hash();
    }

    /// <summary>The unix socket the engine is reached through, or null for a named pipe, tcp or ssh.</summary>
    internal static string? Socket(string? dockerHost, bool windows) =>
        string.IsNullOrEmpty(dockerHost) ? (windows ? null : EngineSocket.DefaultSocket) : EngineSocket.UnixPath(dockerHost!);

    private static IEnumerable<string> PluginFolders(string? configFolder, Func<string, string?> getEnvironmentVariable, bool windows)
    {
        if (configFolder is not null)
        {
            yield return Path.Combine(configFolder, "cli-plugins");
        }

        var system = windows
            ? new[] { getEnvironmentVariable("ProgramData"), getEnvironmentVariable("ProgramFiles") }
                .Where(f => !string.IsNullOrEmpty(f))
                .Select(f => Path.Combine(f!, "Docker", "cli-plugins"))
            : UnixPluginFolders;
        foreach (var folder in system.Where(Directory.Exists))
        {
            yield return folder;
        }
    }
}
