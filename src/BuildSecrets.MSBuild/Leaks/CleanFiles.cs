using System.Globalization;
using System.IO;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>
/// A context file as a clean check saw it: path relative to the context, size and last write time
/// (UTC ticks), what build tools compare to tell a changed input. Never its content nor a hash of it.
/// </summary>
internal readonly record struct FileStamp(string Path, long Size, long LastWriteTicks)
{
    public static FileStamp Of(string relativePath, string file)
    {
        var info = new FileInfo(file);
        return new FileStamp(relativePath, info.Length, info.LastWriteTimeUtc.Ticks);
    }

    /// <summary>One record line: path, size, ticks, tab separated; null for a path a line cannot hold.</summary>
    public string? ToLine() => Path.IndexOfAny(LineBreaks) >= 0
        ? null
        : string.Join("\t", Path, Size.ToString(CultureInfo.InvariantCulture), LastWriteTicks.ToString(CultureInfo.InvariantCulture));

    /// <summary>A record line read back (the path may hold tabs: the numbers are the last two fields); null when it does not read.</summary>
    public static FileStamp? Parse(string line)
    {
        var ticks = line.LastIndexOf('\t');
        var size = ticks > 0 ? line.LastIndexOf('\t', ticks - 1) : -1;
        return size > 0
            && long.TryParse(line.Substring(size + 1, ticks - size - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            && long.TryParse(line.Substring(ticks + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var time)
            ? new FileStamp(line.Substring(0, size), length, time)
            : null;
    }

    private static readonly char[] LineBreaks = ['\n', '\r'];
}

/// <summary>
/// The files of the context a check need not read again, because an earlier check with the same
/// secrets found them clean and they have not changed since (same path, size and time); and what
/// this check searched or left unread, for the log and the next record.
/// </summary>
internal sealed class CleanFiles(IEnumerable<FileStamp> known)
{
    private readonly HashSet<FileStamp> _known = new(known);
    private readonly List<FileStamp> _clean = [];

    public static CleanFiles None() => new([]);

    /// <summary>The files that hold no secret as this check saw them: the next record.</summary>
    public IReadOnlyList<FileStamp> Clean => _clean;

    /// <summary>How many files this check read.</summary>
    public int FilesRead { get; private set; }

    public long BytesRead { get; private set; }

    /// <summary>How many files this check left unread as unchanged since the last clean check.</summary>
    public int FilesSkipped { get; private set; }

    /// <summary>Whether the file is known clean as it is now; then it is not read (and counted as skipped).</summary>
    public bool IsUnchanged(FileStamp stamp)
    {
        if (!_known.Contains(stamp))
        {
            return false;
        }

        FilesSkipped++;
        _clean.Add(stamp);
        return true;
    }

    /// <summary>Notes a file that was read, and whether it held no secret.</summary>
    public void Read(FileStamp stamp, bool clean)
    {
        FilesRead++;
        BytesRead += stamp.Size;
        if (clean)
        {
            _clean.Add(stamp);
        }
    }
}
