using System.Globalization;
using System.IO;
using System.Text;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>A malformed image archive; the message says what is wrong, never what a file holds.</summary>
internal class ImageArchiveException : Exception
{
    public ImageArchiveException(string message)
        : base(message)
    {
    }
}

internal enum TarEntryKind
{
    File,
    Directory,
    Link,
    Other,
}

/// <summary>
/// A forward-only reader of tar archives (ustar, GNU long names, PAX path and size records) over a stream that
/// cannot seek: each entry's content is read, or skipped, before the next header.
/// </summary>
internal sealed class TarStream
{
    private const int BlockSize = 512;
    private const long MetadataLimit = 1L << 20;

    private readonly Stream _stream;
    private readonly byte[] _header = new byte[BlockSize];
    private long _remaining;
    private long _padding;

    public TarStream(Stream stream)
    {
        _stream = stream;
    }

    public string Name { get; private set; } = string.Empty;

    public TarEntryKind Kind { get; private set; }

    public long Size { get; private set; }

    /// <summary>Moves to the next entry, skipping what is left of the current one; false at the end.</summary>
    public bool MoveNext()
    {
        string? longName = null;
        long? paxSize = null;
        while (true)
        {
            Skip(_remaining + _padding);
            _remaining = _padding = 0;
            if (!ReadBlock(_header))
            {
                return false;
            }

            if (IsZero(_header))
            {
                return false;
            }

            var type = (char)_header[156];
            var size = ParseSize(_header, 124, 12);
            SetContent(size);
            if (type is 'L' or 'K' or 'x')
            {
                var data = ReadAll(MetadataLimit);
                if (type == 'L')
                {
                    longName = Encoding.UTF8.GetString(data).TrimEnd('\0');
                }
                else if (type == 'x')
                {
                    var records = PaxRecords(data);
                    if (records.TryGetValue("path", out var paxPath))
                    {
                        longName = paxPath;
                    }

                    if (records.TryGetValue("size", out var sizeText))
                    {
                        paxSize = long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                            ? parsed
                            : throw new ImageArchiveException("a PAX header has a size that is not a number");
                    }
                }

                continue;
            }

            if (type == 'g')
            {
                continue;
            }

            if (paxSize is { } exactSize)
            {
                // A PAX size wins over the header's (files of 8 GiB and more, written by PAX writers).
                size = exactSize;
                SetContent(size);
            }

            var name = ReadString(_header, 0, 100);
            var prefix = Encoding.ASCII.GetString(_header, 257, 5) == "ustar" ? ReadString(_header, 345, 155) : string.Empty;
            Name = longName ?? (prefix.Length > 0 ? prefix + "/" + name : name);
            Kind = type switch
            {
                '0' or '\0' or '7' => TarEntryKind.File,
                '5' => TarEntryKind.Directory,
                '1' or '2' => TarEntryKind.Link,
                _ => TarEntryKind.Other,
            };
            Size = Kind == TarEntryKind.File ? size : 0;
            return true;
        }
    }

    /// <summary>Reads up to <paramref name="count"/> bytes of the current entry's content; 0 at its end.</summary>
    public int Read(byte[] buffer, int offset, int count)
    {
        if (_remaining == 0)
        {
            return 0;
        }

        var read = _stream.Read(buffer, offset, (int)Math.Min(count, _remaining));
        if (read == 0)
        {
            throw new ImageArchiveException($"the archive ends inside the entry '{Name}'");
        }

        _remaining -= read;
        return read;
    }

    /// <summary>The whole content of the current entry (for small metadata files only).</summary>
    public byte[] ReadAll(long limit)
    {
        if (_remaining > limit)
        {
            throw new ImageArchiveException($"the entry '{Name}' is larger than expected ({_remaining} bytes)");
        }

        var data = new byte[_remaining];
        var offset = 0;
        int read;
        while (offset < data.Length && (read = Read(data, offset, data.Length - offset)) > 0)
        {
            offset += read;
        }

        return data;
    }

    private void SetContent(long size)
    {
        _remaining = size;
        _padding = (BlockSize - (size % BlockSize)) % BlockSize;
    }

    private void Skip(long count)
    {
        var buffer = count > 0 ? new byte[(int)Math.Min(count, 81920)] : null;
        while (count > 0)
        {
            var read = _stream.Read(buffer!, 0, (int)Math.Min(buffer!.Length, count));
            if (read == 0)
            {
                throw new ImageArchiveException("the archive ends inside an entry");
            }

            count -= read;
        }
    }

    private bool ReadBlock(byte[] block)
    {
        var offset = 0;
        while (offset < block.Length)
        {
            var read = _stream.Read(block, offset, block.Length - offset);
            if (read == 0)
            {
                if (offset == 0)
                {
                    return false;
                }

                throw new ImageArchiveException("the archive ends inside a header");
            }

            offset += read;
        }

        return true;
    }

    private static bool IsZero(byte[] block)
    {
        foreach (var b in block)
        {
            if (b != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static long ParseSize(byte[] header, int offset, int length)
    {
        if ((header[offset] & 0x80) != 0)
        {
            // GNU base-256 encoding for sizes of 8 GiB and more.
            long value = header[offset] & 0x7f;
            for (var i = 1; i < length; i++)
            {
                value = (value << 8) | header[offset + i];
            }

            return value;
        }

        var text = Encoding.ASCII.GetString(header, offset, length).Trim('\0', ' ');
        try
        {
            return text.Length == 0 ? 0 : Convert.ToInt64(text, 8);
        }
        catch (FormatException)
        {
            throw new ImageArchiveException("a tar header has a size that is not a number; the stream is not a tar archive");
        }
    }

    private static string ReadString(byte[] header, int offset, int length)
    {
        var end = Array.IndexOf(header, (byte)0, offset, length);
        return Encoding.UTF8.GetString(header, offset, (end < 0 ? offset + length : end) - offset);
    }

    /// <summary>The records of a PAX header ("&lt;length&gt; &lt;key&gt;=&lt;value&gt;\n", the length in bytes, values UTF-8).</summary>
    internal static Dictionary<string, string> PaxRecords(byte[] data)
    {
        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        var position = 0;
        while (position < data.Length && data[position] != 0)
        {
            var space = Array.IndexOf(data, (byte)' ', position);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, position, space - position), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space - position + 1 || position + length > data.Length || data[position + length - 1] != (byte)'\n')
            {
                throw new ImageArchiveException("a PAX header record is malformed");
            }

            var recordStart = space + 1;
            var recordEnd = position + length - 1;
            var equals = Array.IndexOf(data, (byte)'=', recordStart, recordEnd - recordStart);
            if (equals < 0)
            {
                throw new ImageArchiveException("a PAX header record has no '='");
            }

            records[Encoding.UTF8.GetString(data, recordStart, equals - recordStart)] = Encoding.UTF8.GetString(data, equals + 1, recordEnd - equals - 1);
            position += length;
        }

        return records;
    }
}
