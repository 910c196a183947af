
namespace BuildSecrets.MSBuild.Diagnostics;

/// <summary>An expected failure carrying one coded diagnostic; the task logs it as an error instead of a stack trace.</summary>
internal sealed class BuildSecretsException : Exception
{
    public BuildSecretsException(Diagnostic diagnostic)
        : base(diagnostic.ToString())
    {
        Diagnostic = diagnostic;
    }

    public Diagnostic Diagnostic { get; }
}
