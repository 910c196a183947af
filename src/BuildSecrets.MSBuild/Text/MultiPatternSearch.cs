using System.IO;

namespace BuildSecrets.MSBuild.Text;

/// <summary>
/// Finds which of many byte strings occur in bytes read in one pass, whatever their number
/// (Aho–Corasick). Built once from the patterns; a <see cref="Cursor"/> is fed the bytes in chunks
/// of any size and keeps its place between them, so a match split across chunks is found without
/// copying any overlap. Shared by the context check and the image scan.
/// </summary>
/// <remarks>
/// The automaton's shallow states, where a search spends nearly all its time, are rows of a dense
/// table of next states, one column per byte class (the bytes no pattern holds share one class), so
/// each byte costs two array reads. The table's size is bounded (<see cref="DenseEntries"/>); the
/// deeper states of long patterns, nearly all with one next state, keep their own transitions and a
/// failure link. A state is passed around as a code: a dense state's row offset, or a deep state's
/// number with the sign bit set; either way the lowest bit says that patterns end there. A large
/// chunk is read as two or four runs side by side, so that one run's table reads need not wait for
/// another's; each run but the first starts from the start state, the longest pattern less one byte
/// before its part, and is in the same state as a single run from its part on.
/// </remarks>
internal sealed class MultiPatternSearch
{
    private const int ChunkSize = 1 << 20;

    /// <summary>From how many bytes a run (beyond the longest pattern) a chunk is read as two or four runs side by side.</summary>
    private const int TwoRunsFrom = 4096;

    /// <summary>The dense table's size in entries (4 MB): it never grows past it, whatever the patterns.</summary>
    private const int DenseEntries = 1 << 20;

    private const int PatternsEnd = 1;
    private const int DeepState = int.MinValue;

    /// <summary>The bits of a code that take a byte off the fast path: patterns end there, or it is a deep state.</summary>
    private const int Special = DeepState | PatternsEnd;

    private readonly byte[] _classOf = new byte[256];
    /// <summary>The width of a dense row: the classes, rounded up to even so that a row's offset leaves the lowest bit free.</summary>
    private readonly int _rowWidth;
    private readonly int _denseStates;

    /// <summary>For each dense state and byte class, the code of the next state.</summary>
    private readonly int[] _next;

    /// <summary>Per state: its code, the code of its failure state, the class of the byte that leads to it.</summary>
    private readonly int[] _code;
    private readonly int[] _failCode;
    private readonly byte[] _label;

    /// <summary>The states a state leads to are numbered <c>_childStart[s]</c> to <c>_childStart[s + 1] - 1</c>.</summary>
    private readonly int[] _childStart;

    /// <summary>The patterns that end at each state: <c>_ownPatterns[_ownStart[s] .. _ownStart[s + 1]]</c>.</summary>
    private readonly int[] _ownStart;
    private readonly int[] _ownPatterns;

    /// <summary>Per state, the nearest state on its failure chain at which patterns end, or -1.</summary>
    private readonly int[] _outputLink;

    private readonly int[] _emptyPatterns;

    /// <summary>The length of the longest pattern.</summary>
    private readonly int _longest;

    public MultiPatternSearch(IReadOnlyList<byte[]> patterns)
    {
        PatternCount = patterns.Count;
        _longest = patterns.Count == 0 ? 0 : patterns.Max(p => p.Length);
        var classes = AssignClasses(patterns, _classOf);
        _rowWidth = classes + (classes & 1);

        // The trie, with states numbered as they are created; empty patterns occur in any input.
        var firstChild = new List<int> { -1 };
        var sibling = new List<int> { -1 };
        var trieLabel = new List<byte> { 0 };
        var ends = new List<(int State, int Pattern)>();
        var empty = new List<int>();
        for (var p = 0; p < patterns.Count; p++)
        {
            if (patterns[p].Length == 0)
            {
                empty.Add(p);
                continue;
            }

            var state = 0;
            foreach (var b in patterns[p])
            {
                var c = _classOf[b];
                var child = firstChild[state];
                while (child >= 0 && trieLabel[child] != c)
                {
                    child = sibling[child];
                }

                if (child < 0)
                {
                    child = trieLabel.Count;
                    trieLabel.Add(c);
                    firstChild.Add(-1);
                    sibling.Add(firstChild[state]);
                    firstChild[state] = child;
                }

                state = child;
            }

            ends.Add((state, p));
        }

        _emptyPatterns = empty.ToArray();

        // Renumbered breadth first: shallower states come first (so failure states precede the states
        // that fail to them and the dense states are the shallowest), and each state's next states
        // are numbered consecutively.
        var count = trieLabel.Count;
        if (count >= 1 << 30)
        {
            throw new ArgumentException("The patterns are too long to search together.", nameof(patterns));
        }

        var order = new int[count];
        var number = new int[count];
        var parent = new int[count];
        _label = new byte[count];
        _childStart = new int[count + 1];
        var queued = 1;
        for (var i = 0; i < count; i++)
        {
            var old = order[i];
            _childStart[i] = queued;
            for (var child = firstChild[old]; child >= 0; child = sibling[child])
            {
                order[queued] = child;
                number[child] = queued;
                parent[queued] = i;
                _label[queued] = trieLabel[child];
                queued++;
            }
        }

        _childStart[count] = count;

        _ownStart = new int[count + 1];
        foreach (var (state, _) in ends)
        {
            _ownStart[number[state] + 1]++;
        }

        for (var i = 0; i < count; i++)
        {
            _ownStart[i + 1] += _ownStart[i];
        }

        _ownPatterns = new int[ends.Count];
        var filled = new int[count];
        foreach (var (state, pattern) in ends)
        {
            var s = number[state];
            _ownPatterns[_ownStart[s] + filled[s]++] = pattern;
        }

        // Failure states and the dense rows, as state numbers; then both as codes.
        _denseStates = Math.Min(count, Math.Max(1, DenseEntries / _rowWidth));
        _next = new int[_denseStates * _rowWidth];
        var fail = new int[count];
        _outputLink = new int[count];
        _outputLink[0] = -1;
        for (var s = 0; s < count; s++)
        {
            if (s > 0)
            {
                fail[s] = parent[s] == 0 ? 0 : NextState(fail, fail[parent[s]], _label[s]);
                _outputLink[s] = HasOwnPatterns(fail[s]) ? fail[s] : _outputLink[fail[s]];
            }

            if (s < _denseStates)
            {
                var row = s * _rowWidth;
                var failRow = fail[s] * _rowWidth;
                for (var c = 0; c < classes; c++)
                {
                    _next[row + c] = s == 0 ? 0 : _next[failRow + c];
                }

                for (var child = _childStart[s]; child < _childStart[s + 1]; child++)
                {
                    _next[row + _label[child]] = child;
                }
            }
        }

        _code = new int[count];
        for (var s = 0; s < count; s++)
        {
            var end = HasOwnPatterns(s) || _outputLink[s] >= 0 ? PatternsEnd : 0;
            _code[s] = (s < _denseStates ? s * _rowWidth : DeepState | s << 1) | end;
        }

        for (var k = 0; k < _next.Length; k++)
        {
            _next[k] = _code[_next[k]];
        }

        _failCode = new int[count];
        for (var s = 0; s < count; s++)
        {
            _failCode[s] = _code[fail[s]];
        }
    }

    /// <summary>How many patterns the search was built from.</summary>
    public int PatternCount { get; }

    /// <summary>A new cursor at the start of the input.</summary>
    public Cursor Start() => new(this);

    /// <summary>Whether <paramref name="needle"/> occurs in <paramref name="haystack"/> (one pattern: for the rare single search).</summary>
    public static bool Contains(byte[] haystack, byte[] needle) => new MultiPatternSearch([needle]).FindIn(haystack).Count > 0;

    /// <summary>The indexes of the patterns found in <paramref name="data"/>, in ascending order.</summary>
    public IReadOnlyList<int> FindIn(byte[] data)
    {
        var cursor = Start();
        cursor.Feed(data, 0, data.Length);
        return cursor.Found;
    }

    /// <summary>
    /// The indexes of the patterns found in the file, read in chunks (the patterns found in each
    /// chunk in ascending order); stops reading once every pattern is found.
    /// </summary>
    public IReadOnlyList<int> FindInFile(string path)
    {
        var cursor = Start();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        var buffer = new byte[(int)Math.Min(ChunkSize, Math.Max(1, stream.Length))];
        int read;
        while (!cursor.FoundAll && (read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            cursor.Feed(buffer, 0, read);
        }

        return cursor.Found;
    }

    private static int AssignClasses(IReadOnlyList<byte[]> patterns, byte[] classOf)
    {
        var used = new bool[256];
        foreach (var pattern in patterns)
        {
            foreach (var b in pattern)
            {
                used[b] = true;
            }
        }

        // Class 0 is every byte no pattern holds (when there is one); the others have a class each.
        var next = used.All(u => u) ? 0 : 1;
        for (var b = 0; b < 256; b++)
        {
            if (used[b])
            {
                classOf[b] = (byte)next++;
            }
        }

        return Math.Max(next, 1);
    }

    private bool HasOwnPatterns(int state) => _ownStart[state + 1] > _ownStart[state];

    /// <summary>While building: the state after <paramref name="state"/> reads a byte of class <paramref name="c"/>.</summary>
    private int NextState(int[] fail, int state, byte c)
    {
        while (state >= _denseStates)
        {
            for (var child = _childStart[state]; child < _childStart[state + 1]; child++)
            {
                if (_label[child] == c)
                {
                    return child;
                }
            }

            state = fail[state];
        }

        return _next[state * _rowWidth + c];
    }

    /// <summary>The next state's code from a deep state's code.</summary>
    private int DeepNext(int code, int c)
    {
        while (code < 0)
        {
            var state = (code & int.MaxValue) >> 1;
            for (var child = _childStart[state]; child < _childStart[state + 1]; child++)
            {
                if (_label[child] == c)
                {
                    return _code[child];
                }
            }

            code = _failCode[state];
        }

        return _next[(code & ~PatternsEnd) + c];
    }

    private int StateOf(int code) => code >= 0 ? (code & ~PatternsEnd) / _rowWidth : (code & int.MaxValue) >> 1;

    /// <summary>
    /// A place in the input: fed the bytes in order, in chunks of any size, it records which
    /// patterns occur in them. <see cref="Reset"/> starts a new input.
    /// </summary>
    internal sealed class Cursor
    {
        private readonly MultiPatternSearch _search;
        private readonly bool[] _found;
        private readonly List<int> _order = new();
        private int _code;

        internal Cursor(MultiPatternSearch search)
        {
            _search = search;
            _found = new bool[search.PatternCount];
            Reset();
        }

        /// <summary>The indexes of the patterns found so far: in the order of the calls to <see cref="Feed"/> that found them, and ascending within one call.</summary>
        public IReadOnlyList<int> Found => _order;

        /// <summary>Whether every pattern has been found (nothing more can be).</summary>
        public bool FoundAll => _order.Count == _found.Length;

        public bool IsFound(int pattern) => _found[pattern];

        /// <summary>Back to the start of a new input, with nothing found (but the empty patterns).</summary>
        public void Reset()
        {
            foreach (var pattern in _order)
            {
                _found[pattern] = false;
            }

            _order.Clear();
            _code = 0;
            foreach (var pattern in _search._emptyPatterns)
            {
                Mark(pattern);
            }
        }

        /// <summary>Reads the next <paramref name="count"/> bytes of the input.</summary>
        public void Feed(byte[] buffer, int offset, int count)
        {
            if (offset < 0 || count < 0 || offset > buffer.Length - count)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            if (FoundAll)
            {
                return;
            }

            var before = _order.Count;
            var end = offset + count;
            var overlap = Math.Max(0, _search._longest - 1);
            if (count >= 4 * (overlap + TwoRunsFrom))
            {
                // Four runs side by side, over the four quarters, as the two runs below.
                var quarter = count / 4;
                var (first, second, third, fourth) = RunFour(buffer, offset, quarter, overlap, end);
                Leave(first);
                Leave(second);
                Leave(third);
                _code = fourth;
            }
            else if (count >= 2 * overlap + TwoRunsFrom)
            {
                // Two runs side by side, whose table reads overlap in time: the first half from the
                // state carried over, the second from the start state, early enough (the longest
                // pattern less one byte) that from the middle on it is in the same state as one
                // run over everything would be, and finds the same matches.
                var middle = offset + count / 2;
                var (first, second) = RunTwo(buffer, offset, middle, middle - overlap, end);
                Leave(first);
                _code = second;
            }
            else
            {
                _code = Run(buffer, offset, end, _code);
            }

            Leave(_code);
            if (_order.Count - before > 1)
            {
                _order.Sort(before, _order.Count - before, null);
            }
        }

        /// <summary>Reads <c>buffer[from..to]</c> from the state <paramref name="code"/>; returns the state reached.</summary>
        private int Run(byte[] buffer, int from, int to, int code)
        {
            var classOf = _search._classOf;
            var next = _search._next;
            for (var i = from; i < to; i++)
            {
                code = (code & Special) == 0 ? next[code + classOf[buffer[i]]] : Step(code, buffer[i]);
            }

            return code;
        }

        /// <summary>
        /// Reads <c>buffer[from..middle]</c> from the current state and <c>buffer[secondFrom..to]</c>
        /// from the start state, a byte of each in turn; returns the states both reach.
        /// </summary>
        private (int First, int Second) RunTwo(byte[] buffer, int from, int middle, int secondFrom, int to)
        {
            var classOf = _search._classOf;
            var next = _search._next;
            var first = _code;
            var second = 0;
            var i = from;
            var j = secondFrom;
            var steps = Math.Min(middle - from, to - secondFrom);
            for (var k = 0; k < steps; k++, i++, j++)
            {
                if (((first | second) & Special) == 0)
                {
                    first = next[first + classOf[buffer[i]]];
                    second = next[second + classOf[buffer[j]]];
                }
                else
                {
                    first = Step(first, buffer[i]);
                    second = Step(second, buffer[j]);
                }
            }

            return (Run(buffer, i, middle, first), Run(buffer, j, to, second));
        }

        /// <summary>
        /// Reads the four quarters of <c>buffer[from..to]</c> a byte of each in turn: the first from the
        /// current state, the others from the start state, <paramref name="overlap"/> bytes before their quarter.
        /// </summary>
        private (int First, int Second, int Third, int Fourth) RunFour(byte[] buffer, int from, int quarter, int overlap, int to)
        {
            var classOf = _search._classOf;
            var next = _search._next;
            int first = _code, second = 0, third = 0, fourth = 0;
            int i = from, j = from + quarter - overlap, k = from + 2 * quarter - overlap, l = from + 3 * quarter - overlap;
            for (var step = 0; step < quarter; step++, i++, j++, k++, l++)
            {
                if (((first | second | third | fourth) & Special) == 0)
                {
                    first = next[first + classOf[buffer[i]]];
                    second = next[second + classOf[buffer[j]]];
                    third = next[third + classOf[buffer[k]]];
                    fourth = next[fourth + classOf[buffer[l]]];
                }
                else
                {
                    first = Step(first, buffer[i]);
                    second = Step(second, buffer[j]);
                    third = Step(third, buffer[k]);
                    fourth = Step(fourth, buffer[l]);
                }
            }

            return (first, Run(buffer, j, from + 2 * quarter, second), Run(buffer, k, from + 3 * quarter, third), Run(buffer, l, to, fourth));
        }

        /// <summary>One byte off the fast path: the patterns that end at the state are reported as it is left.</summary>
        private int Step(int code, byte value)
        {
            Leave(code);
            var c = _search._classOf[value];
            return code < 0 ? _search.DeepNext(code, c) : _search._next[(code & ~PatternsEnd) + c];
        }

        /// <summary>Reports the patterns that end at the state, if any.</summary>
        private void Leave(int code)
        {
            if ((code & PatternsEnd) != 0)
            {
                Report(_search.StateOf(code));
            }
        }

        private void Report(int state)
        {
            var search = _search;
            for (var s = search.HasOwnPatterns(state) ? state : search._outputLink[state]; s >= 0; s = search._outputLink[s])
            {
                for (var k = search._ownStart[s]; k < search._ownStart[s + 1]; k++)
                {
                    Mark(search._ownPatterns[k]);
                }
            }
        }

        private void Mark(int pattern)
        {
            if (!_found[pattern])
            {
                _found[pattern] = true;
                _order.Add(pattern);
            }
        }
    }
}
