using System.Globalization;
using System.IO;
using System.Text;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// The key of a record under obj/: a SHA-256 of named parts (each written with its length, so two
/// different lists never make the same text). Only for what is not secret: file times and sizes,
/// environment variables that name an engine, a Dockerfile's content, arguments without secrets.
/// </summary>
internal sealed class RecordKey
{
    private readonly StringBuilder _text = new();

    public RecordKey()
    {
        Add("code", BuildRecords.CodeVersion);
    }

    /// <summary>Adds a named value; null (absent) differs from empty.</summary>
    public RecordKey Add(string name, string? value)
    {
        _text.Append(name).Append(':');
        if (value is null)
        {
            _text.Append('-');
        }
        else
        {
            _text.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>Adds a file's size and last write time, or that it is absent (it may be a socket or a symbolic link's target).</summary>
    public RecordKey AddFileStamp(string name, string path)
    {
        var file = new FileInfo(path);
        return Add(name + " " + path, file.Exists ? $"{file.Length}@{file.LastWriteTimeUtc.Ticks}" : null);
    }

    /// <summary>Adds a file's content (as its SHA-256), or that it is absent.</summary>
    public RecordKey AddFileContent(string name, string path) =>
        Add(name + " " + path, File.Exists(path) ? Hex.Sha256(File.ReadAllBytes(path)) : null);

    /// <summary>The key: 64 hex digits.</summary>
    public string Hash() => Hex.Sha256(Encoding.UTF8.GetBytes(_text.ToString()));
}
