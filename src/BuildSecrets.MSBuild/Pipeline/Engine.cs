using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>The client and engine a build runs on, and how the client is asked to build.</summary>
internal sealed record Engine(DockerClient Client, DockerClientInfo Info, BuildMode Mode)
{
    /// <summary>Whether the client can read a secret from its environment (<c>env=</c>); Podman reads files only.</summary>
    public bool ReadsSecretsFromEnvironment => Mode != BuildMode.Podman;

    /// <summary>The build command, for the log.</summary>
    public string BuildCommand => Mode switch
    {
        BuildMode.Buildx => "docker buildx build",
        BuildMode.Podman => "podman build",
        _ => "docker build (DOCKER_BUILDKIT=1)",
    };

    /// <summary>
    /// Finds the client, asks what it and its engine are (or takes the answer of a probe made less
    /// than ten minutes ago under the same <see cref="EngineFingerprint"/>), and picks the build
    /// mode; refuses options the mode cannot honour.
    /// </summary>
    public static async Task<Engine> ConnectAsync(IBuildLog log, ImageBuildOptions options, BuildRequest request, CancellationToken cancellationToken)
    {
        var client = DockerClient.Locate(options.DockerCli, options.GetEnvironmentVariable("PATH"), options.Windows);
        var record = EngineRecord.For(request.ImageIdFile, client, options);
        var info = record.Read();
        var probed = info is null;
        info ??= await client.InspectAsync(cancellationToken);
        var mode = info.ChooseMode(options.DockerCli);
        if (probed)
        {
            // Only an answer the build can use is recorded: a client without BuildKit is asked again.
            record.Write(info);
            log.Detail("BuildSecrets: probed the client {0} and its engine; the answer is kept for {1} minutes in {2}.", client.Executable, EngineRecord.Lifetime.TotalMinutes, record.Path);
        }
        else
        {
            LogRecorded(log, client, record);
        }

        RefuseWhatTheModeCannotHonour(options, request, mode);
        return new Engine(client, info, mode);
    }

    /// <summary>
    /// The engine as a probe made less than ten minutes ago described it, without starting the
    /// client; null when there is no such answer (or it would be refused: the full connection
    /// reports why).
    /// </summary>
    public static Engine? FromRecord(IBuildLog log, ImageBuildOptions options, BuildRequest request)
    {
        try
        {
            var client = DockerClient.Locate(options.DockerCli, options.GetEnvironmentVariable("PATH"), options.Windows);
            var record = EngineRecord.For(request.ImageIdFile, client, options);
            if (record.Read() is not { } info)
            {
                return null;
            }

            var mode = info.ChooseMode(options.DockerCli);
            RefuseWhatTheModeCannotHonour(options, request, mode);
            LogRecorded(log, client, record);
            return new Engine(client, info, mode);
        }
        catch (BuildSecretsException)
        {
            return null;
        }
    }

    private static void LogRecorded(IBuildLog log, DockerClient client, EngineRecord record) =>
        log.Detail("BuildSecrets: the client {0} and its engine as probed less than {1} minutes ago ({2}): nothing that picks them changed since, so they were not asked again.", client.Executable, EngineRecord.Lifetime.TotalMinutes, record.Path);

    private static void RefuseWhatTheModeCannotHonour(ImageBuildOptions options, BuildRequest request, BuildMode mode)
    {
        if (mode != BuildMode.Buildx)
        {
            // Podman exports cache to a repository itself (--cache-to), but has no builders and no metadata file.
            foreach (var (property, set) in new[] { ("DockerBuildCacheTo", mode == BuildMode.ClassicBuildKit && request.CacheTo.Count > 0), ("DockerBuilder", request.Builder is not null), ("DockerBuildMetadataFile", request.MetadataFile is not null) })
            {
                if (set)
                {
                    throw new BuildSecretsException(Messages.NeedsBuildx(options.DockerCli, property, mode == BuildMode.Podman ? "podman build" : "docker build with DOCKER_BUILDKIT=1"));
                }
            }
        }
    }
}
