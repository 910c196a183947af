using System.Collections.Generic;
using System.Linq;

namespace BuildSecrets.MSBuild.Model;

internal enum SecretSourceKind
{
    /// <summary>No usable source was declared (an input error).</summary>
    None,

    /// <summary>A file on the build machine, passed as <c>src=</c>.</summary>
    File,

    /// <summary>An environment variable of the build, passed as <c>env=</c>; the value is never read into the build.</summary>
    EnvironmentVariable,

    /// <summary>A value given in the project (Value metadata), handed to the docker client through its environment.</summary>
    Value,

    /// <summary>A key of the project's .NET user secrets, handed to the docker client through its environment.</summary>
    UserSecret,

    /// <summary>NuGetFeeds="true": a NuGet.Config made at build time (the project's sources with this machine's credentials), handed to the docker client through its environment.</summary>
    NuGetFeeds,
}

/// <summary>One DockerSecret item. <see cref="Source"/> is a full path.</summary>
internal sealed record SecretDeclaration(string Id, string? Source, string? EnvironmentVariable)
{
    /// <summary>The Value metadata; the only place a value is held, for Value secrets.</summary>
    public string? Value { get; init; }

    /// <summary>The UserSecret metadata: a key ("Section:Key") of the project's user secrets.</summary>
    public string? UserSecret { get; init; }

    /// <summary>NuGetFeeds="true": the folder whose NuGet configuration gives the sources (the project directory).</summary>
    public string? NuGetFeedsDirectory { get; init; }

    /// <summary>NuGetAuthenticatedFeeds: sources (names or URLs) that must have credentials.</summary>
    public IReadOnlyList<string> NuGetAuthenticatedFeeds { get; init; } = [];

    /// <summary>Rotate="true": steps that declare ARG BUILDSECRETS_&lt;ID&gt;_VERSION re-run when the value changes.</summary>
    public bool Rotate { get; init; }

    /// <summary>False for an optional secret, left out when its source is absent.</summary>
    public bool Required { get; init; } = true;

    /// <summary>For Value and UserSecret secrets: the variable of the docker client's environment that carries the value.</summary>
    public string? ChildVariable { get; init; }

    /// <summary>How many of Source, EnvironmentVariable, UserSecret, Value and NuGetFeeds are set.</summary>
    public int SourceCount =>
        (string.IsNullOrEmpty(Source) ? 0 : 1) + (string.IsNullOrEmpty(EnvironmentVariable) ? 0 : 1) + (string.IsNullOrEmpty(UserSecret) ? 0 : 1) + (Value is null ? 0 : 1)
        + (NuGetFeedsDirectory is null ? 0 : 1);

    public SecretSourceKind Kind =>
        SourceCount != 1 ? SecretSourceKind.None
        : !string.IsNullOrEmpty(Source) ? SecretSourceKind.File
        : !string.IsNullOrEmpty(EnvironmentVariable) ? SecretSourceKind.EnvironmentVariable
        : !string.IsNullOrEmpty(UserSecret) ? SecretSourceKind.UserSecret
        : NuGetFeedsDirectory is not null ? SecretSourceKind.NuGetFeeds
        : SecretSourceKind.Value;

    /// <summary>Whether the value reaches docker through a variable the task sets in the client's environment.</summary>
    public bool PassedThroughChildEnvironment => Kind is SecretSourceKind.Value or SecretSourceKind.UserSecret or SecretSourceKind.NuGetFeeds;
}

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

    public IReadOnlyList<SecretDeclaration> Secrets { get; init; } = [];

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
