namespace BuildSecrets.MSBuild.Diagnostics;

internal enum Severity
{
    Error,
    Warning,
}

/// <summary>A line of a file a diagnostic points at (line 0: the file as a whole).</summary>
internal sealed record SourceLocation(string File, int Line = 0);

/// <summary>
/// A coded finding of the package: an error or a warning with a message that names the thing at
/// fault and the fix, the file and line it is about when known, and a link to its README entry.
/// </summary>
internal sealed record Diagnostic(string Code, Severity Severity, string Message)
{
    /// <summary>Where the README documents every code; each code has an anchor of its own (#bsec1001).</summary>
    public const string DocumentationUrl = "https://github.com/buildsecrets/BuildSecrets.MSBuild/blob/main/README.md";

    /// <summary>The file (and line) at fault; null when it is the project file.</summary>
    public SourceLocation? Location { get; init; }

    public string HelpLink => DocumentationUrl + "#" + Code.ToLowerInvariant();

    public Diagnostic At(string file, int line = 0) => this with { Location = new SourceLocation(file, line) };

    public override string ToString() => $"{Code}: {Message}";
}
