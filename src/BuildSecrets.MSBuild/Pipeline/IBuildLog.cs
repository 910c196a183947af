using System.Globalization;
using BuildSecrets.MSBuild.Diagnostics;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>Where the build reports: coded diagnostics, and messages that are important (shown at minimal verbosity) or not.</summary>
internal interface IBuildLog
{
    void Report(Diagnostic diagnostic);

    void Message(bool important, string text);
}

internal static class BuildLogExtensions
{
    /// <summary>A message shown at minimal verbosity.</summary>
    public static void Important(this IBuildLog log, string format, params object?[] args) => log.Message(true, Format(format, args));

    /// <summary>A message shown at normal verbosity.</summary>
    public static void Detail(this IBuildLog log, string format, params object?[] args) => log.Message(false, Format(format, args));

    /// <summary>Reports every diagnostic; true when one of them is an error.</summary>
    public static bool ReportAll(this IBuildLog log, System.Collections.Generic.IEnumerable<Diagnostic> diagnostics)
    {
        var failed = false;
        foreach (var diagnostic in diagnostics)
        {
            log.Report(diagnostic);
            failed |= diagnostic.Severity == Severity.Error;
        }

        return failed;
    }

    private static string Format(string format, object?[] args) => args.Length == 0 ? format : string.Format(CultureInfo.InvariantCulture, format, args);
}
