using System.IO;
using System.Text;

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

    /// <summary>
    /// Writes a record of named fields, one "name=value" a line; a value's backslashes and line
    /// breaks are escaped, so any text (a client's version line, a check's description) fits. Such a
    /// record only saves time: when obj/ cannot be written, the build goes on without it (false).
    /// </summary>
    public static bool WriteFields(string path, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var text = new StringBuilder();
        foreach (var field in fields)
        {
            text.Append(field.Key).Append('=').Append(field.Value.Replace("\\", "\\\\").Replace("\r", "\\r").Replace("\n", "\\n")).Append('\n');
        }

        return TryWrite(path, text.ToString());
    }

    /// <summary>Writes a record that only saves time: when obj/ cannot be written, the build goes on without it (false).</summary>
    public static bool TryWrite(string path, string text)
    {
        try
        {
            Write(path, text);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A record's fields in the order written (a name may repeat), or null when there is none or it cannot be read.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>>? ReadFields(string path)
    {
        if (Read(path) is not { } text)
        {
            return null;
        }

        var fields = new List<KeyValuePair<string, string>>();
        foreach (var line in text.Split('\n'))
        {
            var equals = line.IndexOf('=');
            if (equals > 0)
            {
                fields.Add(new KeyValuePair<string, string>(line.Substring(0, equals), Unescape(line.Substring(equals + 1))));
            }
        }

        return fields;
    }

    private static string Unescape(string value)
    {
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
                text.Append(value[i] switch { 'n' => '\n', 'r' => '\r', _ => value[i] });
            }
            else
            {
                text.Append(value[i]);
            }
        }

        return text.ToString();
    }
}
