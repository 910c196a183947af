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
    /// Finds the client, asks what it and its engine are, and picks the build mode; refuses options
    /// the mode cannot honour.
    /// </summary>
    public static async Task<Engine> ConnectAsync(ImageBuildOptions options, BuildRequest request, CancellationToken cancellationToken)
    {
        var client = DockerClient.Locate(options.DockerCli, options.GetEnvironmentVariable("PATH"), options.Windows);
        var info = await client.InspectAsync(cancellationToken);
        var mode = info.ChooseMode(options.DockerCli);
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

        return new Engine(client, info, mode);
    }
}
