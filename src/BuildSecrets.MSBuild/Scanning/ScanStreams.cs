using System;
using System.IO;
using System.Security.Cryptography;

namespace BuildSecrets.MSBuild.Scanning;

/// <summary>Forward-only read-through stream: counts the bytes read and, when asked, hashes them (SHA-256).</summary>
internal sealed class HashingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash? _hash;

    public HashingReadStream(Stream inner, bool computeHash)
    {
        _inner = inner;
        _hash = computeHash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    public long BytesRead { get; private set; }

    public override bool CanRead => true;

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
        var read = _inner.Read(buffer, offset, count);
        if (read > 0)
        {
            _hash?.AppendData(buffer, offset, read);
            BytesRead += read;
        }

        return read;
    }

    /// <summary>Reads the rest of the stream (a layer's bytes after its tar end marker count for its diff id too).</summary>
    public void Drain(byte[] scratch)
    {
        while (Read(scratch, 0, scratch.Length) > 0)
        {
        }
    }

    /// <summary>"sha256:&lt;hex&gt;" of the bytes read; null when not hashing.</summary>
    public string? Digest()
    {
        if (_hash is null)
        {
            return null;
        }

        var hash = _hash.GetHashAndReset();
        var hex = new char[hash.Length * 2];
        for (var i = 0; i < hash.Length; i++)
        {
            hex[2 * i] = "0123456789abcdef"[hash[i] >> 4];
            hex[(2 * i) + 1] = "0123456789abcdef"[hash[i] & 0xF];
        }

        return "sha256:" + new string(hex);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash?.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A stream whose first bytes were already read (to sniff the format): gives them back, then reads on.</summary>
internal sealed class PrefixedStream : Stream
{
    private readonly byte[] _prefix;
    private readonly int _prefixLength;
    private readonly Stream _rest;
    private int _prefixPosition;

    public PrefixedStream(byte[] prefix, int prefixLength, Stream rest)
    {
        _prefix = prefix;
        _prefixLength = prefixLength;
        _rest = rest;
    }

    /// <summary>Reads up to <paramref name="count"/> bytes of <paramref name="stream"/> (fewer only at its end) and returns a stream that still starts at its beginning.</summary>
    public static PrefixedStream Peek(Stream stream, int count, out byte[] head, out int headLength)
    {
        head = new byte[count];
        headLength = 0;
        while (headLength < count)
        {
            var read = stream.Read(head, headLength, count - headLength);
            if (read == 0)
            {
                break;
            }

            headLength += read;
        }

        return new PrefixedStream(head, headLength, stream);
    }

    public override bool CanRead => true;

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
        if (_prefixPosition < _prefixLength)
        {
            var n = Math.Min(count, _prefixLength - _prefixPosition);
            Buffer.BlockCopy(_prefix, _prefixPosition, buffer, offset, n);
            _prefixPosition += n;
            return n;
        }

        return _rest.Read(buffer, offset, count);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
