using System.Text;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class MultiPatternSearchTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static int[] Find(string[] patterns, string input) =>
        new MultiPatternSearch(patterns.Select(Bytes).ToArray()).FindIn(Bytes(input)).ToArray();

    /// <summary>What a search must find: the patterns that occur in the data, by the platform's own single search.</summary>
    private static int[] Naive(byte[][] patterns, byte[] data) =>
        Enumerable.Range(0, patterns.Length).Where(i => data.AsSpan().IndexOf(patterns[i]) >= 0).ToArray();

    [TestMethod]
    public void A_match_split_between_two_chunks_is_found_at_every_split_point()
    {
        var data = Bytes("..prefix Canary-pw-5c0d9e7f21 suffix..");
        var search = new MultiPatternSearch([Bytes("Canary-pw-5c0d9e7f21"), Bytes("not-in-there")]);
        var cursor = search.Start();
        for (var split = 0; split <= data.Length; split++)
        {
            cursor.Reset();
            cursor.Feed(data, 0, split);
            cursor.Feed(data, split, data.Length - split);

            CollectionAssert.AreEqual(new[] { 0 }, cursor.Found.ToArray(), $"split at {split}");
        }
    }

    [TestMethod]
    [DataRow(10_000, 2)]
    [DataRow(100_000, 4)]
    public void A_match_across_the_border_of_two_runs_of_a_large_chunk_is_found_wherever_it_starts(int length, int runs)
    {
        // A large chunk is read as two or four runs side by side, each but the first starting before its part.
        var pattern = Bytes("Canary-pw-5c0d9e7f21");
        var search = new MultiPatternSearch([pattern, Bytes("0123456789abcdef0123456789abcdef0123")]);
        for (var run = 1; run < runs; run++)
        {
            var border = length / runs * run;
            for (var start = border - 40; start <= border + 5; start++)
            {
                var data = new byte[length];
                pattern.CopyTo(data, start);
                var cursor = search.Start();
                cursor.Feed(data, 0, data.Length);

                CollectionAssert.AreEqual(new[] { 0 }, cursor.Found.ToArray(), $"starting at {start}");
            }
        }
    }

    [TestMethod]
    [DataRow(20_000, 2)]
    [DataRow(200_000, 4)]
    public void Matches_ending_where_a_run_of_a_large_chunk_ends_are_found_and_the_last_run_carries_into_the_next_chunk(int length, int runs)
    {
        var search = new MultiPatternSearch([Bytes("Canary-pw-5c0d9e7f21"), Bytes("tail-end")]);
        var first = new byte[length];
        Bytes("tail-end").CopyTo(first, length / runs * (runs - 1) - 8);
        Bytes("Canary-pw-5").CopyTo(first, first.Length - 11);
        var second = new byte[length];
        Bytes("c0d9e7f21").CopyTo(second, 0);
        var cursor = search.Start();

        cursor.Feed(first, 0, first.Length);
        CollectionAssert.AreEqual(new[] { 1 }, cursor.Found.ToArray());
        cursor.Feed(second, 0, second.Length);
        CollectionAssert.AreEqual(new[] { 1, 0 }, cursor.Found.ToArray());
    }

    [TestMethod]
    public void A_match_fed_one_byte_at_a_time_is_found()
    {
        var data = Bytes("xx Canary-pw-5c0d9e7f21 yy");
        var cursor = new MultiPatternSearch([Bytes("Canary-pw-5c0d9e7f21")]).Start();
        for (var i = 0; i < data.Length; i++)
        {
            cursor.Feed(data, i, 1);
        }

        Assert.IsTrue(cursor.IsFound(0));
    }

    [TestMethod]
    [DataRow("abcdef", new[] { "abcd", "bcde", "cdef" }, new[] { 0, 1, 2 })]
    [DataRow("aaaa", new[] { "aaa", "aa", "aaaaa" }, new[] { 0, 1 })]
    [DataRow("ushers", new[] { "he", "she", "his", "hers" }, new[] { 0, 1, 3 })]
    public void Overlapping_patterns_are_all_found(string input, string[] patterns, int[] expected) =>
        CollectionAssert.AreEqual(expected, Find(patterns, input));

    [TestMethod]
    [DataRow("xxabcdefxx", new[] { 0, 1, 2 })]
    [DataRow("xxabcdexx", new[] { 1 })]
    [DataRow("xxbcdefxx", new[] { 2 })]
    [DataRow("xxabcxxdefxx", new[] { 1, 2 })]
    public void A_pattern_that_is_a_prefix_or_a_suffix_of_another_is_found_with_it_or_alone(string input, int[] expected) =>
        CollectionAssert.AreEqual(expected, Find(["abcdef", "abc", "def"], input));

    [TestMethod]
    public void Identical_patterns_are_each_found()
    {
        CollectionAssert.AreEqual(new[] { 0, 1 }, Find(["token-123", "token-123"], "a token-123 b"));
    }

    [TestMethod]
    public void Empty_input_finds_nothing_and_an_empty_pattern_is_found_in_any_input_as_by_IndexOf()
    {
        Assert.AreEqual(0, Find(["abc", "x"], string.Empty).Length);
        CollectionAssert.AreEqual(new[] { 1 }, Find(["abc", string.Empty], string.Empty));
        Assert.AreEqual(0, new MultiPatternSearch([]).FindIn(Bytes("anything")).Count);
    }

    [TestMethod]
    public void Reset_starts_a_new_input_that_carries_nothing_over()
    {
        var cursor = new MultiPatternSearch([Bytes("split-here"), Bytes("other")]).Start();
        cursor.Feed(Bytes("other split-"), 0, 12);
        CollectionAssert.AreEqual(new[] { 1 }, cursor.Found.ToArray());

        cursor.Reset();
        cursor.Feed(Bytes("here"), 0, 4);

        Assert.AreEqual(0, cursor.Found.Count);
        Assert.IsFalse(cursor.IsFound(1));
    }

    [TestMethod]
    public void Patterns_are_listed_in_ascending_order_within_one_chunk_and_in_the_order_of_the_chunks()
    {
        var cursor = new MultiPatternSearch([Bytes("first"), Bytes("second"), Bytes("third")]).Start();
        cursor.Feed(Bytes("third"), 0, 5);
        cursor.Feed(Bytes("second first"), 0, 12);

        CollectionAssert.AreEqual(new[] { 2, 0, 1 }, cursor.Found.ToArray());
        Assert.IsTrue(cursor.FoundAll);
    }

    [TestMethod]
    [DataRow(4, 1, 12, 1)]
    [DataRow(256, 4, 64, 2)]
    [DataRow(256, 40, 400, 3)]
    [DataRow(64, 8, 48, 4)]
    public void A_thousand_random_patterns_find_what_a_naive_search_finds(int alphabet, int minLength, int maxLength, int seed)
    {
        var random = new Random(seed);
        byte[] RandomBytes(int length)
        {
            var bytes = new byte[length];
            for (var i = 0; i < length; i++)
            {
                bytes[i] = (byte)random.Next(alphabet);
            }

            return bytes;
        }

        var patterns = Enumerable.Range(0, 1000).Select(_ => RandomBytes(random.Next(minLength, maxLength + 1))).ToArray();
        var data = RandomBytes(300_000);
        // Plant a hundred of them (some across what will be chunk boundaries), so that long patterns are found too.
        for (var k = 0; k < 100; k++)
        {
            var pattern = patterns[random.Next(patterns.Length)];
            Array.Copy(pattern, 0, data, random.Next(data.Length - pattern.Length), pattern.Length);
        }

        var search = new MultiPatternSearch(patterns);
        var cursor = search.Start();
        for (var offset = 0; offset < data.Length;)
        {
            var count = Math.Min(random.Next(1, 5000), data.Length - offset);
            cursor.Feed(data, offset, count);
            offset += count;
        }

        var expected = Naive(patterns, data);
        Assert.IsTrue(expected.Length >= 50, $"only {expected.Length} patterns occur: the test data is too easy");
        CollectionAssert.AreEqual(expected, cursor.Found.Order().ToArray());
        CollectionAssert.AreEqual(expected, search.FindIn(data).ToArray());
    }

    [TestMethod]
    public void A_file_is_searched_in_chunks_and_a_match_across_chunks_is_found()
    {
        var file = Path.GetTempFileName();
        try
        {
            var data = new byte[(1 << 20) * 2 + 100];
            Bytes("Canary-pw-5c0d9e7f21").CopyTo(data, (1 << 20) - 9);
            Bytes("second-value-0123").CopyTo(data, (1 << 21) - 3);
            File.WriteAllBytes(file, data);

            var found = new MultiPatternSearch([Bytes("second-value-0123"), Bytes("absent-value-4567"), Bytes("Canary-pw-5c0d9e7f21")]).FindInFile(file);

            CollectionAssert.AreEqual(new[] { 2, 0 }, found.ToArray());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
