using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Model;

/// <summary>One DockerSsh item: the agent (<c>default</c>, no source) or a key file (full path).</summary>
internal sealed record SshForward(string Id, string? Source);

/// <summary>One DockerBuildArg item.</summary>
internal sealed record BuildArgument(string Name, string Value);

/// <summary>Everything one image build needs, with every path already made absolute.</summary>
internal sealed record BuildRequest
{
    public required string Dockerfile { get; init; }

    public required string Context { get; init; }

    public required string Repository { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>The DockerSecret items, as written; the validator makes them <see cref="DeclaredSecret"/>s.</summary>
    public IReadOnlyList<SecretItem> Secrets { get; init; } = [];

    public IReadOnlyList<BuildArgument> BuildArgs { get; init; } = [];

    public IReadOnlyList<SshForward> Ssh { get; init; } = [];

    public string? Network { get; init; }

    /// <summary>The Dockerfile stage to build (<c>--target</c>).</summary>
    public string? Target { get; init; }

    /// <summary>Target platforms (<c>--platform</c>), e.g. linux/amd64.</summary>
    public IReadOnlyList<string> Platforms { get; init; } = [];

    /// <summary>Image labels (<c>--label</c>): ContainerLabel items.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    public bool Pull { get; init; }

    public bool NoCache { get; init; }

    public IReadOnlyList<string> CacheFrom { get; init; } = [];

    public IReadOnlyList<string> CacheTo { get; init; } = [];

    /// <summary>The buildx builder instance (<c>--builder</c>).</summary>
    public string? Builder { get; init; }

    /// <summary>Where buildx writes the build result's metadata (<c>--metadata-file</c>).</summary>
    public string? MetadataFile { get; init; }

    /// <summary>Further arguments for the build command, as given (DockerBuildOptions).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>The references the build tags: repository:tag for every tag.</summary>
    public IEnumerable<string> References => Tags.Select(tag => $"{Repository}:{tag}");

    /// <summary>Where the client writes the built image's id (<c>--iidfile</c>).</summary>
    public required string ImageIdFile { get; init; }
}
