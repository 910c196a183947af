using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Dockerfiles;

/// <summary>
/// What a Dockerfile can take from the build context, in all its stages: the sources of <c>COPY</c>
/// and <c>ADD</c> without <c>--from</c> (the last argument is the destination; a heredoc, and for
/// <c>ADD</c> a URL or Git source, take nothing), and the <c>source</c> of a <c>RUN --mount</c> of
/// type bind without <c>from</c> (the whole context when it has none). A source with a variable,
/// quotes or a backslash, a <c>COPY</c> whose JSON form does not read, or a Dockerfile handed to
/// another frontend (<c># syntax=</c>) take the whole context: the checks never read less than
/// docker could take.
/// </summary>
internal static class DockerfileContextSources
{
    private static readonly string[] RemotePrefixes = ["http://", "https://", "git://", "git@", "ssh://"];
    private static readonly char[] Unsure = ['$', '\\', '"', '\''];

    public static IReadOnlyList<ContextSource> Of(ParsedDockerfile dockerfile)
    {
        if (dockerfile.Syntax is { } syntax && syntax.IndexOf("docker/dockerfile", StringComparison.OrdinalIgnoreCase) < 0)
        {
            return [ContextSource.WholeContext];
        }

        var sources = new List<ContextSource>();
        foreach (var instruction in dockerfile.Instructions.Where(i => i.Keyword is "COPY" or "ADD"))
        {
            if (!instruction.Flags.Any(f => f.StartsWith("--from=", StringComparison.Ordinal)))
            {
                sources.AddRange(SourcesOf(instruction));
            }
        }

        foreach (var mount in dockerfile.BindMounts.Where(m => m.From is null))
        {
            sources.Add(mount.Source is null ? ContextSource.WholeContext : Source(mount.Source));
        }

        return sources.Distinct().ToArray();
    }

    private static IEnumerable<ContextSource> SourcesOf(DockerfileInstruction instruction)
    {
        if (Arguments(instruction.Arguments) is not { } arguments)
        {
            return [ContextSource.WholeContext];
        }

        // One argument is no valid COPY: docker stops before it takes anything.
        return arguments.Take(arguments.Length - 1)
            .Where(a => !a.StartsWith("<<", StringComparison.Ordinal))
            .Where(a => instruction.Keyword != "ADD" || !RemotePrefixes.Any(p => a.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            .Select(Source);
    }

    /// <summary>The arguments of the JSON form (<c>["a", "/dst/"]</c>) or the whitespace-separated form; null when the JSON form does not read.</summary>
    private static string[]? Arguments(string text)
    {
        if (!text.StartsWith("[", StringComparison.Ordinal))
        {
            return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        }

        try
        {
            return Json.Parse(text) is List<object?> list && list.All(a => a is string) ? list.Cast<string>().ToArray() : null;
        }
        catch (JsonFormatException)
        {
            return null;
        }
    }

    private static ContextSource Source(string text) => text.IndexOfAny(Unsure) >= 0 ? ContextSource.WholeContext : ContextSource.Of(text);
}
