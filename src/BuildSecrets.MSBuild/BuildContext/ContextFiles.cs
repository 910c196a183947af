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
    /// <param name="entering">Told each folder the walk enters (for tests).</param>
    public static IEnumerable<string> Enumerate(string context, DockerIgnoreMatcher ignore, System.Action<string>? entering = null)
    {
        var folders = new Stack<string>();
        folders.Push(context);
        while (folders.Count > 0)
        {
            var folder = folders.Pop();
            entering?.Invoke(folder);
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                if (RelativeTo(context, file) is { } relative && !ignore.IsExcluded(relative) && !IsLink(file))
                {
                    yield return file;
                }
            }

            foreach (var child in Directory.EnumerateDirectories(folder))
            {
                if (RelativeTo(context, child) is not { } relative
                    || IsLink(child)
                    || (ignore.IsExcluded(relative) && !ignore.MayIncludeUnder(relative)))
                {
                    continue;
                }

                folders.Push(child);
            }
        }
    }

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
