using BuildSecrets.MSBuild.BuildContext;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>A throw-away build context for walk tests: each file holds its own path.</summary>
internal static class ContextFolder
{
    public static string Create(string purpose, IEnumerable<string> files)
    {
        var context = Repository.NewTempFolder(purpose);
        foreach (var file in files)
        {
            var path = Path.Combine(context, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file);
        }

        return context;
    }

    /// <summary>
    /// Runs a walk of the context; returns the files it gave (relative, sorted) and the folders it
    /// entered (relative, "." for the root, in order).
    /// </summary>
    public static (string[] Files, string[] Entered) Walk(string context, Func<Action<string>, IEnumerable<string>> walk)
    {
        var entered = new List<string>();
        var files = walk(entered.Add)
            .Select(f => ContextFiles.RelativeTo(context, f)!)
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();
        return (files, entered.Select(f => ContextFiles.RelativeTo(context, f) ?? ".").ToArray());
    }
}
