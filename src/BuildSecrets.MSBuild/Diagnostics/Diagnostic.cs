namespace BuildSecrets.MSBuild.Diagnostics;

internal enum Severity
{
    Error,
    Warning,
}

/// <summary>A coded finding of the package: an error or a warning with a message that names the thing at fault and the fix.</summary>
internal sealed record Diagnostic(string Code, Severity Severity, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}
