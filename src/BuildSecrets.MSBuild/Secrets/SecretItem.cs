namespace BuildSecrets.MSBuild.Secrets;

/// <summary>
/// One DockerSecret item as the project wrote it, before it is checked: which of its source
/// metadata are set is the validator's business (<see cref="Validation.BuildRequestValidator"/>),
/// which turns it into a <see cref="DeclaredSecret"/>.
/// </summary>
internal sealed record SecretItem(string Id)
{
    /// <summary>The Source metadata, as a full path.</summary>
    public string? Source { get; init; }

    public string? EnvironmentVariable { get; init; }

    /// <summary>The UserSecret metadata: a key ("Section:Key") of the project's user secrets.</summary>
    public string? UserSecret { get; init; }

    /// <summary>The Value metadata; null when the item has none (an empty Value is a value, and an error).</summary>
    public string? Value { get; init; }

    /// <summary>NuGetFeeds="true": the folder whose NuGet configuration gives the feeds (the project directory); null otherwise.</summary>
    public string? NuGetFeedsDirectory { get; init; }

    /// <summary>NuGetAuthenticatedFeeds: sources (names or URLs) that must have credentials.</summary>
    public IReadOnlyList<string> NuGetAuthenticatedFeeds { get; init; } = [];

    /// <summary>False for an optional secret (Required="false"), left out when its source is absent.</summary>
    public bool Required { get; init; } = true;

    /// <summary>Rotate="true": steps that declare ARG BUILDSECRETS_&lt;ID&gt;_VERSION re-run when the value changes.</summary>
    public bool Rotate { get; init; }

    /// <summary>Never prints a value: items end up in exception messages and debugger views.</summary>
    public override string ToString() => $"DockerSecret '{Id}'";
}
