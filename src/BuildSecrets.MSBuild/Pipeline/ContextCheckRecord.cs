using System.IO;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Leaks;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// What the last clean context check read (obj/.../buildsecrets/context-check), so that the next
/// check reads only what changed. The header line is a keyed fingerprint (<see cref="SecretRotation.Fingerprint"/>)
/// of the secrets and the code version, then the context folder; each other line is a clean file's
/// path, size and last write time. A record with another header is not used: a changed secret or a
/// new package reads every file again. Without a home folder for the key there is no record.
/// </summary>
internal sealed class ContextCheckRecord
{
    private readonly string _path;
    private readonly string? _header;

    private ContextCheckRecord(string path, string? header)
    {
        _path = path;
        _header = header;
    }

    public static ContextCheckRecord For(string imageIdFile, string context, SecretRotation? rotation, IReadOnlyDictionary<string, byte[]> values)
    {
        var fingerprint = values.Count == 0 ? null : rotation?.Fingerprint(values, "context-check " + BuildRecords.CodeVersion);
        return new ContextCheckRecord(BuildRecords.PathOf(imageIdFile, "context-check"), fingerprint is null ? null : fingerprint + "\t" + Path.GetFullPath(context));
    }

    /// <summary>The files the last clean check found clean with these secrets; none when the record is missing or is another's.</summary>
    public CleanFiles Load()
    {
        if (_header is null || BuildRecords.Read(_path) is not { } text)
        {
            return CleanFiles.None();
        }

        var lines = text.Split('\n');
        return lines[0] == _header
            ? new CleanFiles(lines.Skip(1).Select(FileStamp.Parse).Where(s => s is not null).Select(s => s!.Value))
            : CleanFiles.None();
    }

    /// <summary>
    /// Records the files a check that found nothing read or left unread as unchanged. The record
    /// only saves time: when obj/ cannot be written, the next check reads everything, and the build goes on.
    /// </summary>
    public void Save(CleanFiles files)
    {
        if (_header is null)
        {
            return;
        }

        var lines = files.Clean.Select(s => s.ToLine()).Where(l => l is not null);
        BuildRecords.TryWrite(_path, string.Join("\n", new[] { _header }.Concat(lines!)) + "\n");
    }
}
