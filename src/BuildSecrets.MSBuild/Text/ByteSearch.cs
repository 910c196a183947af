using System.IO;

namespace BuildSecrets.MSBuild.Text;

/// <summary>
/// Searching bytes for byte strings: in a buffer (vectorized on .NET), and in a file read in chunks
/// with an overlap so that no match is split. Shared by the context check and the image scan.
/// </summary>
internal static class ByteSearch
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Whether <paramref name="needle"/> occurs in <paramref name="haystack"/>.</summary>
    public static bool Contains(byte[] haystack, byte[] needle) => IndexOf(haystack, haystack.Length, needle) >= 0;

    /// <summary>The indexes of the <paramref name="patterns"/> found in the file.</summary>
    public static IReadOnlyCollection<int> FindInFile(string path, IReadOnlyList<byte[]> patterns)
    {
        var longest = 1;
        foreach (var pattern in patterns)
        {
            longest = Math.Max(longest, pattern.Length);
        }

        var found = new HashSet<int>();
        var buffer = new byte[ChunkSize + longest];
        var carried = 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        int read;
        while ((read = stream.Read(buffer, carried, ChunkSize)) > 0)
        {
            var length = carried + read;
            for (var i = 0; i < patterns.Count; i++)
            {
                if (!found.Contains(i) && IndexOf(buffer, length, patterns[i]) >= 0)
                {
                    found.Add(i);
                }
            }

            if (found.Count == patterns.Count)
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
    public static int IndexOf(byte[] haystack, int length, byte[] needle)
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
