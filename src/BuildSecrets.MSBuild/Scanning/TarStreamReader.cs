using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace BuildSecrets.MSBuild.Scanning;

internal enum TarEntryType
{
    File,
    Directory,
    SymbolicLink,
    HardLink,
    Other,
}

/// <summary>One entry of a tar read by <see cref="TarStreamReader"/>. <see cref="Content"/> is readable until the next entry is asked for.</summary>
internal sealed class TarEntry
{
    internal TarEntry(string name, string? linkName, TarEntryType type, long size, long headerOffset, Stream content, IReadOnlyDictionary<string, string> paxAttributes)
    {
        Name = name;
        LinkName = linkName;
        Type = type;
        Size = size;
        HeaderOffset = headerOffset;
        Content = content;
        PaxAttributes = paxAttributes;
    }

    /// <summary>The entry's path as the archive spells it (PAX <c>path</c>, GNU long name or ustar prefix + name).</summary>
    public string Name { get; }

    /// <summary>The target of a symbolic or hard link; null for other entries.</summary>
    public string? LinkName { get; }

    public TarEntryType Type { get; }

    /// <summary>The number of content bytes; 0 for directories and links.</summary>
    public long Size { get; }

    /// <summary>Where the entry's (first) header starts in the archive.</summary>
    public long HeaderOffset { get; }

    /// <summary>The entry's content: a forward-only stream of exactly <see cref="Size"/> bytes, valid until the next entry is read.</summary>
    public Stream Content { get; }

    /// <summary>The PAX extended header records of the entry (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> PaxAttributes { get; }
}

/// <summary>
/// A minimal forward-only tar reader: ustar, GNU long names and long link names (<c>././@LongLink</c>,
/// types L and K), GNU base-256 sizes and PAX extended headers (<c>path</c>, <c>linkpath</c>,
/// <c>size</c>). It never seeks and buffers one small block of the underlying stream, so it can read
/// an archive piped from another process. Malformed input throws <see cref="ImageArchiveException"/>
/// with the offset of the fault, never with content of the archive.
/// </summary>
internal sealed class TarStreamReader
{
    public const int BlockSize = 512;

    /// <summary>Long names, long link names and PAX headers larger than this are refused rather than buffered.</summary>
    private const int MaxMetadataSize = 1 << 20;

    private static readonly IReadOnlyDictionary<string, string> NoAttributes = new Dictionary<string, string>();

    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private int _bufferStart;
    private int _bufferEnd;
    private long _position;
    private long _entryRemaining;
    private long _entryPadding;
    private ContentStream? _current;
    private bool _finished;

    public TarStreamReader(Stream stream, int bufferSize = 64 * 1024)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream cannot be read.", nameof(stream));
        }

        _buffer = new byte[Math.Max(bufferSize, 2 * BlockSize)];
    }

    /// <summary>How many bytes of the archive have been consumed.</summary>
    public long Position => _position;

    /// <summary>
    /// The next entry, after skipping what is left of the current one's content; null at the end of
    /// the archive (a zero block, or the end of the stream at an entry boundary).
    /// </summary>
    public TarEntry? Next()
    {
        if (_finished)
        {
            return null;
        }

        Retire();

        string? longName = null;
        string? longLink = null;
        Dictionary<string, string>? pax = null;
        var firstHeader = -1L;
        while (true)
        {
            var headerOffset = _position;
            if (firstHeader < 0)
            {
                firstHeader = headerOffset;
            }

            if (!TryFillBlock())
            {
                _finished = true;
                if (longName is not null || longLink is not null || pax is not null)
                {
                    throw new ImageArchiveException($"tar archive ends after an extended header at byte {headerOffset} with no entry following it");
                }

                return null;
            }

            if (IsZeroBlock(_buffer, _bufferStart))
            {
                Consume(BlockSize);
                _finished = true;
                if (longName is not null || longLink is not null || pax is not null)
                {
                    throw new ImageArchiveException($"tar archive ends after an extended header at byte {headerOffset} with no entry following it");
                }

                return null;
            }

            var header = new byte[BlockSize];
            Buffer.BlockCopy(_buffer, _bufferStart, header, 0, BlockSize);
            Consume(BlockSize);
            VerifyChecksum(header, headerOffset);

            var typeFlag = (char)header[156];
            var size = ParseSize(header, headerOffset);
            if (pax is not null && pax.TryGetValue("size", out var paxSize))
            {
                if (!long.TryParse(paxSize, NumberStyles.None, CultureInfo.InvariantCulture, out size))
                {
                    throw new ImageArchiveException($"tar PAX header before byte {headerOffset} has an invalid size record");
                }
            }

            switch (typeFlag)
            {
                case 'L':
                    longName = TrimNul(Encoding.UTF8.GetString(ReadMetadata(size, headerOffset)));
                    continue;
                case 'K':
                    longLink = TrimNul(Encoding.UTF8.GetString(ReadMetadata(size, headerOffset)));
                    continue;
                case 'x':
                case 'X':
                    pax ??= new Dictionary<string, string>(StringComparer.Ordinal);
                    ParsePax(ReadMetadata(size, headerOffset), headerOffset, pax);
                    continue;
                case 'g':
                    // Global PAX records: defaults for the whole archive, never a path of one entry.
                    ReadMetadata(size, headerOffset);
                    continue;
            }

            var name = longName ?? HeaderName(header);
            var linkName = longLink ?? CString(header, 157, 100);
            if (pax is not null)
            {
                if (pax.TryGetValue("path", out var paxPath))
                {
                    name = paxPath;
                }

                if (pax.TryGetValue("linkpath", out var paxLink))
                {
                    linkName = paxLink;
                }
            }

            var type = typeFlag switch
            {
                '0' or '\0' or '7' => name.EndsWith("/", StringComparison.Ordinal) ? TarEntryType.Directory : TarEntryType.File,
                '1' => TarEntryType.HardLink,
                '2' => TarEntryType.SymbolicLink,
                '5' => TarEntryType.Directory,
                _ => TarEntryType.Other,
            };

            // Links, devices, directories and FIFOs have no content whatever their size field says (as Go's archive/tar reads them).
            if (typeFlag is '1' or '2' or '3' or '4' or '5' or '6')
            {
                size = 0;
            }

            _entryRemaining = size;
            _entryPadding = Padding(size);
            _current = new ContentStream(this);
            return new TarEntry(
                name,
                type is TarEntryType.SymbolicLink or TarEntryType.HardLink ? linkName : null,
                type,
                size,
                firstHeader,
                _current,
                (IReadOnlyDictionary<string, string>?)pax ?? NoAttributes);
        }
    }

    /// <summary>Reads and discards the rest of the underlying stream (so that a writer at the other end of a pipe can finish).</summary>
    public long DrainUnderlyingStream()
    {
        Retire();
        _finished = true;
        long drained = _bufferEnd - _bufferStart;
        _position += drained;
        _bufferStart = _bufferEnd = 0;
        int read;
        while ((read = _stream.Read(_buffer, 0, _buffer.Length)) > 0)
        {
            drained += read;
            _position += read;
        }

        return drained;
    }

    private static long Padding(long size) => (BlockSize - (size % BlockSize)) % BlockSize;

    private void Retire()
    {
        if (_current is not null)
        {
            _current.Retired = true;
            _current = null;
        }

        Skip(_entryRemaining + _entryPadding);
        _entryRemaining = 0;
        _entryPadding = 0;
    }

    private byte[] ReadMetadata(long size, long headerOffset)
    {
        if (size < 0 || size > MaxMetadataSize)
        {
            throw new ImageArchiveException($"tar extended header at byte {headerOffset} is {size} bytes long; at most {MaxMetadataSize} are accepted");
        }

        var data = new byte[size];
        var filled = 0;
        while (filled < data.Length)
        {
            var read = ReadAvailable(data, filled, data.Length - filled);
            if (read == 0)
            {
                throw new ImageArchiveException($"tar archive is truncated inside the extended header at byte {headerOffset}");
            }

            filled += read;
        }

        Skip(Padding(size));
        return data;
    }

    private static void ParsePax(byte[] data, long headerOffset, Dictionary<string, string> into)
    {
        var position = 0;
        while (position < data.Length)
        {
            if (data[position] == 0)
            {
                break;
            }

            // Each record is "<length> <key>=<value>\n", the length counting the whole record.
            var space = Array.IndexOf(data, (byte)' ', position);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, position, space - position), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space - position + 1 || position + length > data.Length || data[position + length - 1] != (byte)'\n')
            {
                throw new ImageArchiveException($"tar PAX header at byte {headerOffset} has a malformed record at its byte {position}");
            }

            var recordEnd = position + length - 1;
            var equals = Array.IndexOf(data, (byte)'=', space + 1, recordEnd - space - 1);
            if (equals < 0)
            {
                throw new ImageArchiveException($"tar PAX header at byte {headerOffset} has a record without '=' at its byte {position}");
            }

            var key = Encoding.UTF8.GetString(data, space + 1, equals - space - 1);
            into[key] = Encoding.UTF8.GetString(data, equals + 1, recordEnd - equals - 1);
            position += length;
        }
    }

    private static string HeaderName(byte[] header)
    {
        var name = CString(header, 0, 100);

        // POSIX ustar ("ustar\0" magic) splits long paths into prefix and name; GNU tar uses that space for other fields.
        var isPosixUstar = header[257] == (byte)'u' && header[258] == (byte)'s' && header[259] == (byte)'t'
            && header[260] == (byte)'a' && header[261] == (byte)'r' && header[262] == 0;
        if (isPosixUstar)
        {
            var prefix = CString(header, 345, 155);
            if (prefix.Length > 0)
            {
                return prefix + "/" + name;
            }
        }

        return name;
    }

    private static string CString(byte[] header, int offset, int length)
    {
        var end = Array.IndexOf(header, (byte)0, offset, length);
        return Encoding.UTF8.GetString(header, offset, (end < 0 ? offset + length : end) - offset);
    }

    private static string TrimNul(string value) => value.TrimEnd('\0');

    private static bool IsZeroBlock(byte[] buffer, int offset)
    {
        for (var i = 0; i < BlockSize; i++)
        {
            if (buffer[offset + i] != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a block is a tar header with a valid checksum (used to tell a layer from a JSON blob).</summary>
    internal static bool IsHeaderBlock(byte[] block, int offset, int count)
    {
        if (count < BlockSize)
        {
            return false;
        }

        var header = new byte[BlockSize];
        Buffer.BlockCopy(block, offset, header, 0, BlockSize);
        return IsZeroBlock(header, 0) || ChecksumMatches(header);
    }

    private static void VerifyChecksum(byte[] header, long headerOffset)
    {
        if (!ChecksumMatches(header))
        {
            throw new ImageArchiveException($"tar header at byte {headerOffset} has a bad checksum (not a tar archive, or a corrupt one)");
        }
    }

    private static bool ChecksumMatches(byte[] header)
    {
        if (!TryParseOctal(header, 148, 8, out var stored))
        {
            return false;
        }

        long unsignedSum = 0;
        long signedSum = 0;
        for (var i = 0; i < BlockSize; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }

        return stored == unsignedSum || stored == signedSum;
    }

    private static long ParseSize(byte[] header, long headerOffset)
    {
        if ((header[124] & 0x80) != 0)
        {
            // GNU base-256: big-endian two's complement in the 12 bytes, the top bit of the first one a marker.
            if ((header[124] & 0x40) != 0)
            {
                throw new ImageArchiveException($"tar header at byte {headerOffset} has a negative size");
            }

            long value = header[124] & 0x3F;
            for (var i = 125; i < 136; i++)
            {
                if (value > (long.MaxValue >> 8))
                {
                    throw new ImageArchiveException($"tar header at byte {headerOffset} has a size too large to read");
                }

                value = (value << 8) | header[i];
            }

            return value;
        }

        if (!TryParseOctal(header, 124, 12, out var size))
        {
            throw new ImageArchiveException($"tar header at byte {headerOffset} has an invalid size field");
        }

        return size;
    }

    private static bool TryParseOctal(byte[] header, int offset, int length, out long value)
    {
        value = 0;
        var i = offset;
        var end = offset + length;
        while (i < end && (header[i] == (byte)' ' || header[i] == 0))
        {
            i++;
        }

        while (i < end && header[i] >= (byte)'0' && header[i] <= (byte)'7')
        {
            if (value > (long.MaxValue >> 3))
            {
                return false;
            }

            value = (value << 3) | (long)(header[i] - '0');
            i++;
        }

        while (i < end)
        {
            if (header[i] != (byte)' ' && header[i] != 0)
            {
                return false;
            }

            i++;
        }

        // An all-blank field reads as 0, as tar implementations read it.
        return true;
    }

    /// <summary>Makes sure one whole block is buffered; false at the end of the stream on a block boundary.</summary>
    private bool TryFillBlock()
    {
        if (_bufferEnd - _bufferStart >= BlockSize)
        {
            return true;
        }

        var buffered = _bufferEnd - _bufferStart;
        Buffer.BlockCopy(_buffer, _bufferStart, _buffer, 0, buffered);
        _bufferStart = 0;
        _bufferEnd = buffered;
        while (_bufferEnd < BlockSize)
        {
            var read = _stream.Read(_buffer, _bufferEnd, _buffer.Length - _bufferEnd);
            if (read == 0)
            {
                if (_bufferEnd == 0)
                {
                    return false;
                }

                throw new ImageArchiveException($"tar archive is truncated: it ends inside a header at byte {_position}");
            }

            _bufferEnd += read;
        }

        return true;
    }

    private void Consume(int count)
    {
        _bufferStart += count;
        _position += count;
    }

    /// <summary>Up to <paramref name="count"/> bytes from the buffer, or straight from the stream for large reads; 0 at its end.</summary>
    private int ReadAvailable(byte[] destination, int offset, int count)
    {
        if (count == 0)
        {
            return 0;
        }

        if (_bufferEnd == _bufferStart)
        {
            _bufferStart = _bufferEnd = 0;
            if (count >= _buffer.Length)
            {
                var direct = _stream.Read(destination, offset, count);
                _position += direct;
                return direct;
            }

            _bufferEnd = _stream.Read(_buffer, 0, _buffer.Length);
            if (_bufferEnd == 0)
            {
                return 0;
            }
        }

        var n = Math.Min(count, _bufferEnd - _bufferStart);
        Buffer.BlockCopy(_buffer, _bufferStart, destination, offset, n);
        Consume(n);
        return n;
    }

    private void Skip(long count)
    {
        while (count > 0)
        {
            if (_bufferEnd == _bufferStart)
            {
                _bufferStart = 0;
                _bufferEnd = _stream.Read(_buffer, 0, _buffer.Length);
                if (_bufferEnd == 0)
                {
                    throw new ImageArchiveException($"tar archive is truncated: it ends inside an entry at byte {_position}");
                }
            }

            var n = (int)Math.Min(count, _bufferEnd - _bufferStart);
            Consume(n);
            count -= n;
        }
    }

    private int ReadContent(byte[] destination, int offset, int count)
    {
        var wanted = (int)Math.Min(count, _entryRemaining);
        if (wanted == 0)
        {
            return 0;
        }

        var read = ReadAvailable(destination, offset, wanted);
        if (read == 0)
        {
            throw new ImageArchiveException($"tar archive is truncated: it ends inside an entry's content at byte {_position}");
        }

        _entryRemaining -= read;
        return read;
    }

    /// <summary>The content of the current entry: exactly its size, forward only.</summary>
    private sealed class ContentStream : Stream
    {
        private readonly TarStreamReader _reader;

        public ContentStream(TarStreamReader reader) => _reader = reader;

        public bool Retired { get; set; }

        public override bool CanRead => !Retired;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Retired)
            {
                throw new InvalidOperationException("The tar reader has moved past this entry.");
            }

            return _reader.ReadContent(buffer, offset, count);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
