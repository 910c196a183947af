using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.BuildContext;

/// <summary>
/// The rules of a build context's .dockerignore as BuildKit applies them: one pattern a line
/// ('#' comments), Go filepath.Match syntax plus '**' for any number of folders, '!' to take a
/// path back in (the last matching line wins), and a path is excluded when it or one of its
/// parent folders matches.
/// </summary>
internal sealed class DockerIgnoreMatcher
{
    private readonly List<(Regex Pattern, bool Exclude)> _rules = new();
    private readonly List<string> _exceptions = new();

    private DockerIgnoreMatcher(string? file)
    {
        File = file;
    }

    /// <summary>The file the rules came from, or null when there is none.</summary>
    public string? File { get; }

    public static DockerIgnoreMatcher Empty { get; } = new(null);

    /// <summary>
    /// Reads '&lt;Dockerfile name&gt;.dockerignore' beside the Dockerfile when it exists (BuildKit prefers
    /// it), else '.dockerignore' at the root of the context.
    /// </summary>
    public static DockerIgnoreMatcher Load(string context, string? dockerfile)
    {
        foreach (var candidate in Candidates(context, dockerfile))
        {
            if (System.IO.File.Exists(candidate))
            {
                return Parse(System.IO.File.ReadAllText(candidate), candidate);
            }
        }

        return Empty;
    }

    /// <summary>The files that may hold the rules, the one BuildKit prefers first: '&lt;Dockerfile&gt;.dockerignore', then '&lt;context&gt;/.dockerignore'.</summary>
    public static IReadOnlyList<string> Candidates(string context, string? dockerfile) =>
        dockerfile is null
            ? [Path.Combine(context, ".dockerignore")]
            : [dockerfile + ".dockerignore", Path.Combine(context, ".dockerignore")];

    public static DockerIgnoreMatcher Parse(string text, string? file = null)
    {
        var matcher = new DockerIgnoreMatcher(file);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith("#", StringComparison.Ordinal))
            {
                continue;
            }

            var exclude = true;
            if (line.StartsWith("!", StringComparison.Ordinal))
            {
                exclude = false;
                line = line.Substring(1).Trim();
            }

            var pattern = Clean(line);
            if (pattern.Length > 0)
            {
                matcher._rules.Add((new Regex(ToRegex(pattern), RegexOptions.CultureInvariant), exclude));
                if (!exclude)
                {
                    matcher._exceptions.Add(pattern);
                }
            }
        }

        return matcher;
    }

    /// <summary>Whether the context path (relative, '/' or '\' separated) is left out of the build context.</summary>
    public bool IsExcluded(string relativePath)
    {
        var path = Clean(relativePath.Replace('\\', '/'));
        var excluded = false;
        foreach (var (pattern, exclude) in _rules)
        {
            if (MatchesOrParentMatches(pattern, path))
            {
                excluded = exclude;
            }
        }

        return excluded;
    }

    /// <summary>
    /// Whether BuildKit looks inside an excluded folder: only when an exception ('!') pattern starts
    /// with the folder's path (as its context walker decides). Otherwise nothing under it is sent.
    /// </summary>
    public bool MayIncludeUnder(string relativeFolder)
    {
        var folder = Clean(relativeFolder.Replace('\\', '/')) + "/";
        foreach (var exception in _exceptions)
        {
            if ((exception + "/").StartsWith(folder, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesOrParentMatches(Regex pattern, string path)
    {
        if (pattern.IsMatch(path))
        {
            return true;
        }

        for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            if (pattern.IsMatch(path.Substring(0, slash)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Like Go's filepath.Clean for relative context paths: no leading '/', no '.' or empty segments, '..' resolved.</summary>
    internal static string Clean(string path)
    {
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }

                continue;
            }

            segments.Add(segment);
        }

        return string.Join("/", segments);
    }

    internal static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        // '**/' : zero or more folders.
                        i++;
                        regex.Append("(?:.*/)?");
                    }
                    else
                    {
                        regex.Append(".*");
                    }

                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        regex.Append(@"\[");
                        break;
                    }

                    // Go's filepath.Match negates a class with '^' only; '!' is an ordinary character.
                    var body = pattern.Substring(i + 1, end - i - 1);
                    var negated = body.StartsWith("^", StringComparison.Ordinal);
                    body = (negated ? "^" : string.Empty) + Regex.Escape(negated ? body.Substring(1) : body).Replace(@"\-", "-");

                    regex.Append('[').Append(body).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    i++;
                    regex.Append(Regex.Escape(pattern[i].ToString()));
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return regex.Append('$').ToString();
    }
}
