using System.Globalization;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.Docker;

/// <summary>One finding of BuildKit's build checks (<c>docker buildx build --check</c>).</summary>
internal sealed record BuildCheckFinding(string Rule, string Description, int? Line);

/// <summary>What one check run found, and whether it ran to its end (a run that failed on the way may have missed findings).</summary>
internal sealed record BuildCheckRun(IReadOnlyList<BuildCheckFinding> Findings, bool Complete);

/// <summary>Reads what <c>docker buildx build --check</c> prints: "WARNING: Rule - url", a description, "Dockerfile:N".</summary>
internal static class BuildChecks
{
    private static readonly Regex Warning = new(@"^WARNING: (?<rule>[A-Za-z0-9]+)(?: - (?<url>\S+))?\s*$", RegexOptions.CultureInvariant);
    private static readonly Regex Location = new(@"^\S*:(?<line>\d+)\s*$", RegexOptions.CultureInvariant);
    private static readonly Regex BuildxVersion = new(@"\bv(?<major>\d+)\.(?<minor>\d+)", RegexOptions.CultureInvariant);

    /// <summary>Whether a buildx version line (github.com/docker/buildx v0.17.1 ...) is 0.15 or later, which has --check.</summary>
    public static bool Supported(string? buildxVersion)
    {
        var match = buildxVersion is null ? Match.Empty : BuildxVersion.Match(buildxVersion);
        return match.Success
            && (int.Parse(match.Groups["major"].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups["minor"].Value, CultureInfo.InvariantCulture)) is var (major, minor)
            && (major > 0 || minor >= 15);
    }

    /// <summary>The arguments of the check run: the build's, with --check for --load and without secrets, SSH and the image id file.</summary>
    public static IReadOnlyList<string> Arguments(IReadOnlyList<string> build)
    {
        var check = new List<string>();
        for (var i = 0; i < build.Count; i++)
        {
            if (build[i] is "--secret" or "--ssh" or "--iidfile" or "--metadata-file" or "--cache-to")
            {
                i++;
                continue;
            }

            check.Add(build[i] == "--load" ? "--check" : build[i]);
        }

        return check;
    }

    /// <summary>
    /// Reads a check run: it is complete when the client succeeded or said "Check complete" (a run
    /// that finds something may exit with 1); a run stopped by an error is not.
    /// </summary>
    public static BuildCheckRun Read(IReadOnlyList<string> output, int exitCode) => new(
        Parse(output),
        exitCode == 0 || output.Any(line => line.TrimStart().StartsWith("Check complete", StringComparison.Ordinal)));

    public static IReadOnlyList<BuildCheckFinding> Parse(IReadOnlyList<string> output)
    {
        var findings = new List<BuildCheckFinding>();
        for (var i = 0; i < output.Count; i++)
        {
            var warning = Warning.Match(output[i].Trim());
            if (!warning.Success)
            {
                continue;
            }

            var description = string.Empty;
            int? line = null;
            for (var j = i + 1; j < output.Count && j <= i + 3; j++)
            {
                var text = output[j].Trim();
                if (Location.Match(text) is { Success: true } location)
                {
                    line = int.Parse(location.Groups["line"].Value, CultureInfo.InvariantCulture);
                    break;
                }

                if (description.Length == 0 && text.Length > 0 && !text.StartsWith("WARNING:", StringComparison.Ordinal))
                {
                    description = text;
                }
            }

            findings.Add(new BuildCheckFinding(warning.Groups["rule"].Value, description, line));
        }

        return findings.GroupBy(f => (f.Rule, f.Line)).Select(g => g.First()).ToArray();
    }
}
