using System.IO;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.BuildContext;

/// <summary>
/// Tells, for a path of the context split into segments, whether a source takes it (the source
/// names it or one of its folders) or leads to it (it is the source or a folder on the way to it):
/// the walk enters a folder only then, so <c>COPY bin/Release/app /app</c> never lists node_modules/.
/// </summary>
internal sealed class ContextSourceMatcher
{
    private static readonly char[] Wildcards = ['*', '?', '['];

    /// <summary>BuildKit matches as Linux does; on Windows, where a name may differ in case from the Dockerfile's, more is read, never less.</summary>
    private static readonly bool IgnoreCase = Path.DirectorySeparatorChar == '\\';

    private readonly Func<string, bool>[][] _sources;

    public ContextSourceMatcher(IEnumerable<ContextSource> sources)
    {
        _sources = sources.Where(s => !s.IsWholeContext).Select(s => s.Pattern.Split('/').Select(Segment).ToArray()).ToArray();
    }

    /// <summary>Whether a source names the path or one of its folders.</summary>
    public bool Takes(string[] path) => _sources.Any(source => source.Length <= path.Length && Matches(source, path, source.Length));

    /// <summary>Whether the path is a source or a folder on the way to one.</summary>
    public bool Leads(string[] path) => _sources.Any(source => source.Length >= path.Length && Matches(source, path, path.Length));

    private static bool Matches(Func<string, bool>[] source, string[] path, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (!source[i](path[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static Func<string, bool> Segment(string pattern)
    {
        if (pattern.IndexOfAny(Wildcards) < 0)
        {
            var comparison = IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            return name => string.Equals(name, pattern, comparison);
        }

        // One segment has no '/', so the .dockerignore translation is filepath.Match's.
        var options = RegexOptions.CultureInvariant | (IgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        return new Regex(DockerIgnoreMatcher.ToRegex(pattern), options).IsMatch;
    }
}
