using System.Collections.Generic;

namespace BuildSecrets.MSBuild.Model;

internal enum SecretSourceKind
{
    /// <summary>No usable source was declared (an input error).</summary>
    None,

    /// <summary>A file on the build machine, passed as <c>src=</c>.</summary>
    File,

    /// <summary>An environment variable of the build, passed as <c>env=</c>; the value is never read into the build.</summary>
    EnvironmentVariable,
}

/// <summary>One DockerSecret item. <see cref="Source"/> is a full path; values are never held here.</summary>
internal sealed record SecretDeclaration(string Id, string? Source, string? EnvironmentVariable)
{
    public SecretSourceKind Kind =>
        (string.IsNullOrEmpty(Source), string.IsNullOrEmpty(EnvironmentVariable)) switch
        {
            (false, true) => SecretSourceKind.File,
            (true, false) => SecretSourceKind.EnvironmentVariable,
            _ => SecretSourceKind.None,
        };
}

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

    public string? Network { get; init; }

    /// <summary>Where the client writes the built image's id (<c>--iidfile</c>).</summary>
    public required string ImageIdFile { get; init; }
}
