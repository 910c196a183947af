using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>Finds which of a set of values occur in a file, reading it in chunks with an overlap so no match is split.</summary>
internal static class ContextSearch
{
    private const int ChunkSize = 1 << 20;

    /// <summary>The indexes of the <paramref name="needles"/> found in the file.</summary>
    public static IReadOnlyCollection<int> FindInFile(string path, IReadOnlyList<string> needles)
    {
        var patterns = new byte[needles.Count][];
        var longest = 1;
        for (var i = 0; i < needles.Count; i++)
        {
            patterns[i] = Encoding.UTF8.GetBytes(needles[i]);
            longest = Math.Max(longest, patterns[i].Length);
        }

        var found = new HashSet<int>();
        var buffer = new byte[ChunkSize + longest];
        var carried = 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        int read;
        while ((read = stream.Read(buffer, carried, ChunkSize)) > 0)
        {
            var length = carried + read;
            for (var i = 0; i < patterns.Length; i++)
            {
                if (!found.Contains(i) && IndexOf(buffer, length, patterns[i]) >= 0)
                {
                    found.Add(i);
                }
            }

            if (found.Count == patterns.Length)
            {
                break;
            }

            // Keep the tail that could hold the start of a match crossing into the next chunk.
            carried = Math.Min(longest - 1, length);
            Buffer.BlockCopy(buffer, length - carried, buffer, 0, carried);
        }

        return found;
    }

    /// <summary>Where <paramref name="needle"/> first occurs in the first <paramref name="length"/> bytes, or -1.</summary>
    internal static int IndexOf(byte[] haystack, int length, byte[] needle)
    {
#if NET
        return haystack.AsSpan(0, length).IndexOf(needle);
#else
        if (needle.Length == 0)
        {
            return 0;
        }

        var first = needle[0];
        var last = length - needle.Length;
        var start = 0;
        while (start <= last)
        {
            var candidate = Array.IndexOf(haystack, first, start, last - start + 1);
            if (candidate < 0)
            {
                return -1;
            }

            var matched = true;
            for (var j = 1; j < needle.Length; j++)
            {
                if (haystack[candidate + j] != needle[j])
                {
                    matched = false;
                    break;
                }
            }

            if (matched)
            {
                return candidate;
            }

            start = candidate + 1;
        }

        return -1;
#endif
    }
}
