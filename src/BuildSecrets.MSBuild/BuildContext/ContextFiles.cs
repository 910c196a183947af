using System.Collections.Generic;
using System.IO;

namespace BuildSecrets.MSBuild.BuildContext;

/// <summary>
/// The files of a build context that BuildKit sends, walked as its context walker does: a folder
/// the .dockerignore excludes is not entered (unless an exception pattern starts with its path),
/// so a solution folder's bin/, obj/, .git/ and node_modules/ cost one check each, not one per file.
/// Links, to files or folders, are not followed (BuildKit sends the link itself).
/// </summary>
internal static class ContextFiles
{
    /// <summary>Every file the .dockerignore leaves in.</summary>
    /// <param name="entering">Told each folder the walk enters (for tests).</param>
    public static IEnumerable<string> Enumerate(string context, DockerIgnoreMatcher ignore, Action<string>? entering = null) =>
        Walk(context, ignore, null, entering, null);

    /// <summary>
    /// The files the Dockerfile's sources can take (<see cref="Dockerfiles.ParsedDockerfile.ContextSources"/>)
    /// and the .dockerignore leaves in: what docker can put in the image, so what the checks read. A
    /// folder that can hold no source is not entered. A source that names a link (or a folder on its
    /// way that is one) makes BuildKit follow it, possibly elsewhere in the context: then every other
    /// file follows too.
    /// </summary>
    /// <param name="entering">Told each folder the walk enters (for tests).</param>
    public static IEnumerable<string> EnumerateTaken(string context, DockerIgnoreMatcher ignore, IReadOnlyList<ContextSource> sources, Action<string>? entering = null) =>
        sources.Any(s => s.IsWholeContext) ? Enumerate(context, ignore, entering) : Taken(context, ignore, new ContextSourceMatcher(sources), entering);

    private static IEnumerable<string> Taken(string context, DockerIgnoreMatcher ignore, ContextSourceMatcher sources, Action<string>? entering)
    {
        var followsLink = false;
        foreach (var file in Walk(context, ignore, sources, entering, () => followsLink = true))
        {
            yield return file;
        }

        if (followsLink)
        {
            foreach (var file in Walk(context, ignore, null, entering, null).Where(f => !sources.Takes(Segments(context, f))))
            {
                yield return file;
            }
        }
    }

    /// <param name="sources">What the Dockerfile takes, or null for everything.</param>
    /// <param name="namedLink">Told when a source names a link (BuildKit follows it).</param>
    private static IEnumerable<string> Walk(string context, DockerIgnoreMatcher ignore, ContextSourceMatcher? sources, Action<string>? entering, Action? namedLink)
    {
        var folders = new Stack<(string Path, bool Taken)>();
        folders.Push((context, sources is null));
        while (folders.Count > 0)
        {
            var (folder, taken) = folders.Pop();
            entering?.Invoke(folder);
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                if (RelativeTo(context, file) is not { } relative || ignore.IsExcluded(relative))
                {
                    continue;
                }

                var segments = taken ? null : relative.Split('/');
                if (IsLink(file))
                {
                    if (segments is not null && sources!.Leads(segments))
                    {
                        namedLink?.Invoke();
                    }
                }
                else if (segments is null || sources!.Takes(segments))
                {
                    yield return file;
                }
            }

            foreach (var child in Directory.EnumerateDirectories(folder))
            {
                if (RelativeTo(context, child) is not { } relative || (ignore.IsExcluded(relative) && !ignore.MayIncludeUnder(relative)))
                {
                    continue;
                }

                var segments = taken ? null : relative.Split('/');
                var childTaken = segments is null || sources!.Takes(segments);
                if (!childTaken && !sources!.Leads(segments!))
                {
                    continue;
                }

                if (IsLink(child))
                {
                    if (segments is not null)
                    {
                        namedLink?.Invoke();
                    }

                    continue;
                }

                folders.Push((child, childTaken));
            }
        }
    }

    private static string[] Segments(string context, string file) => RelativeTo(context, file)!.Split('/');

    /// <summary>A symbolic link: BuildKit sends the link itself, never what it points at, so the walk neither reads nor enters it.</summary>
    private static bool IsLink(string path) => (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0;

    /// <summary>The path relative to the folder with '/' separators, or null when it is not inside it.</summary>
    public static string? RelativeTo(string folder, string path)
    {
        var root = folder.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var comparison = Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return path.StartsWith(root, comparison) ? path.Substring(root.Length).Replace('\\', '/') : null;
    }
}
