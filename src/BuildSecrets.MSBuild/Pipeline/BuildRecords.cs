using System.IO;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// Where a project keeps what its builds remember (obj/&lt;configuration&gt;/&lt;tfm&gt;/buildsecrets/, beside
/// the image id file): keyed fingerprints and versions, never a secret value nor a plain hash of one.
/// Deleting the folder (or obj/) makes the next build do everything again.
/// </summary>
internal static class BuildRecords
{
    public static string PathOf(string imageIdFile, string name) => Path.Combine(Path.GetDirectoryName(imageIdFile)!, name);

    /// <summary>The version of the code that wrote a record: the task assembly's build identity, so that a new package misses every record.</summary>
    public static string CodeVersion { get; } = typeof(BuildRecords).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    /// <summary>Writes a record whole or not at all (a build stopped half way leaves the last complete one).</summary>
    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        File.Move(temporary, path);
    }

    /// <summary>A record's text, or null when there is none or it cannot be read.</summary>
    public static string? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
