using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace BuildSecrets.MSBuild.Scanning;

/// <summary>
/// Finds which of a fixed set of byte strings (all at least <see cref="MinimumNeedleLength"/> bytes)
/// occur in a buffer or a stream, in one pass whatever the number of needles.
/// </summary>
/// <remarks>
/// A sampled q-gram filter: every occurrence of a needle at least <c>m</c> bytes long contains, among
/// its first <c>m</c> bytes, a 4-byte window that starts at a multiple of <c>step = m - 3</c>. So only
/// every <c>step</c>-th position of the data is probed: its 4 bytes are hashed into a 64 Kibit table
/// holding the first <c>step</c> windows of every needle. A hit (rare) is resolved through a bucket
/// list to (needle, offset) pairs, each verified byte by byte. With 8-byte needles that is one table
/// lookup per 5 bytes of data, so the search runs far faster than the SHA-256 the scanner computes.
/// </remarks>
internal sealed class NeedleSearch
{
    public const int MinimumNeedleLength = 4;
    private const int GramLength = 4;
    private const int TableBits = 16;

    /// <summary>Bytes read from a stream per search pass (plus the overlap carried from the previous pass).</summary>
    internal const int ChunkSize = 1 << 20;

    private readonly byte[][] _needles;
    private readonly int _step;
    private readonly ulong[] _bits = new ulong[(1 << TableBits) / 64];
    private readonly int[] _bucketStart = new int[(1 << TableBits) + 1];
    private readonly uint[] _entryGram;
    private readonly int[] _entryNeedle;
    private readonly int[] _entryOffset;

    public NeedleSearch(IReadOnlyList<byte[]> needles)
    {
        _needles = new byte[needles.Count][];
        var min = int.MaxValue;
        var max = 0;
        for (var i = 0; i < needles.Count; i++)
        {
            var needle = needles[i] ?? throw new ArgumentNullException(nameof(needles));
            if (needle.Length < MinimumNeedleLength)
            {
                throw new ArgumentException($"Needles must be at least {MinimumNeedleLength} bytes long.", nameof(needles));
            }

            _needles[i] = needle;
            min = Math.Min(min, needle.Length);
            max = Math.Max(max, needle.Length);
        }

        MaxLength = Math.Max(max, 1);
        _step = needles.Count == 0 ? 1 : min - GramLength + 1;

        // Counting sort of the (window, needle, offset) entries by hash, so a hit reads one contiguous bucket.
        var count = _needles.Length * _step;
        _entryGram = new uint[count];
        _entryNeedle = new int[count];
        _entryOffset = new int[count];
        var hashes = new int[count];
        var e = 0;
        for (var n = 0; n < _needles.Length; n++)
        {
            for (var o = 0; o < _step; o++)
            {
                var gram = BitConverter.ToUInt32(_needles[n], o);
                var h = Hash(gram);
                hashes[e] = (int)h;
                _bucketStart[h + 1]++;
                _bits[h >> 6] |= 1UL << (int)h;
                e++;
            }
        }

        for (var h = 0; h < (1 << TableBits); h++)
        {
            _bucketStart[h + 1] += _bucketStart[h];
        }

        var next = (int[])_bucketStart.Clone();
        e = 0;
        for (var n = 0; n < _needles.Length; n++)
        {
            for (var o = 0; o < _step; o++)
            {
                var slot = next[hashes[e]]++;
                _entryGram[slot] = BitConverter.ToUInt32(_needles[n], o);
                _entryNeedle[slot] = n;
                _entryOffset[slot] = o;
                e++;
            }
        }
    }

    public int Count => _needles.Length;

    /// <summary>The longest needle's length: a stream search carries this many bytes minus one from one chunk to the next.</summary>
    public int MaxLength { get; }

    /// <summary>A buffer large enough for <see cref="SearchStream"/>.</summary>
    public byte[] CreateStreamBuffer() => new byte[ChunkSize + MaxLength - 1];

    /// <summary>Adds to <paramref name="found"/> the needles that occur in <c>data[offset..offset+length)</c>.</summary>
    public void Search(byte[] data, int offset, int length, MatchSet found)
    {
        if (_needles.Length == 0 || found.Count == _needles.Length)
        {
            return;
        }

        var end = offset + length;
        var last = end - GramLength;
        var bits = _bits;
        for (var p = offset; p <= last; p += _step)
        {
            var h = Hash(BitConverter.ToUInt32(data, p));
            if ((bits[h >> 6] & (1UL << (int)h)) != 0)
            {
                Resolve(data, offset, end, p, h, found);
            }
        }
    }

    /// <summary>
    /// Reads <paramref name="content"/> to its end in chunks of <see cref="ChunkSize"/>, carrying the last
    /// <see cref="MaxLength"/> - 1 bytes of each chunk into the next so that a needle crossing a chunk
    /// boundary is still found. Returns the number of bytes read.
    /// </summary>
    public long SearchStream(Stream content, byte[] buffer, MatchSet found, CancellationToken cancellationToken)
    {
        if (buffer.Length < ChunkSize + MaxLength - 1)
        {
            throw new ArgumentException("The buffer is too small; use CreateStreamBuffer.", nameof(buffer));
        }

        long total = 0;
        var carried = 0;
        while (true)
        {
            var filled = carried;
            while (filled < buffer.Length)
            {
                var read = content.Read(buffer, filled, buffer.Length - filled);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }

            total += filled - carried;
            if (filled == carried)
            {
                return total;
            }

            cancellationToken.ThrowIfCancellationRequested();
            Search(buffer, 0, filled, found);
            if (filled < buffer.Length)
            {
                return total;
            }

            // Keep the tail that could hold the start of a needle crossing into the next chunk.
            carried = Math.Min(MaxLength - 1, filled);
            Buffer.BlockCopy(buffer, filled - carried, buffer, 0, carried);
        }
    }

    private static uint Hash(uint gram) => (gram * 0x9E3779B1u) >> (32 - TableBits);

    private void Resolve(byte[] data, int start, int end, int position, uint hash, MatchSet found)
    {
        var gram = BitConverter.ToUInt32(data, position);
        for (var e = _bucketStart[hash]; e < _bucketStart[hash + 1]; e++)
        {
            if (_entryGram[e] != gram)
            {
                continue;
            }

            var n = _entryNeedle[e];
            var needle = _needles[n];
            var at = position - _entryOffset[e];
            if (at < start || at + needle.Length > end || found.Contains(n))
            {
                continue;
            }

            if (EqualAt(data, at, needle))
            {
                found.Add(n);
            }
        }
    }

    private static bool EqualAt(byte[] data, int at, byte[] needle)
    {
#if NET
        return data.AsSpan(at, needle.Length).SequenceEqual(needle);
#else
        for (var i = 0; i < needle.Length; i++)
        {
            if (data[at + i] != needle[i])
            {
                return false;
            }
        }

        return true;
#endif
    }
}

/// <summary>The set of needles found in one searched item (a file, a path, a config value); reset between items in O(1).</summary>
internal sealed class MatchSet
{
    private readonly int[] _stamps;
    private readonly List<int> _found = new();
    private int _generation = 1;

    public MatchSet(int needleCount) => _stamps = new int[needleCount];

    public int Count => _found.Count;

    /// <summary>The indexes of the needles found since the last reset, in the order found.</summary>
    public IReadOnlyList<int> Found => _found;

    public bool Contains(int needle) => _stamps[needle] == _generation;

    public void Add(int needle)
    {
        if (_stamps[needle] != _generation)
        {
            _stamps[needle] = _generation;
            _found.Add(needle);
        }
    }

    public void Reset()
    {
        if (_found.Count == 0)
        {
            return;
        }

        _found.Clear();
        _generation++;
        if (_generation == int.MaxValue)
        {
            Array.Clear(_stamps, 0, _stamps.Length);
            _generation = 1;
        }
    }
}
