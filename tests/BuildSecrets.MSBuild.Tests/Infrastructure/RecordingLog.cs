using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Pipeline;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>A pipeline log that keeps what a stage reports, for stage tests without MSBuild.</summary>
internal sealed class RecordingLog : IBuildLog
{
    public List<Diagnostic> Diagnostics { get; } = [];

    public List<(bool Important, string Text)> Messages { get; } = [];

    public IReadOnlyList<string> Codes => Diagnostics.Select(d => d.Code).ToArray();

    public void Report(Diagnostic diagnostic) => Diagnostics.Add(diagnostic);

    public void Message(bool important, string text) => Messages.Add((important, text));
}
