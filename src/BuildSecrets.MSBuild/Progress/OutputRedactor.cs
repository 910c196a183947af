using System.Text;
using System.Text.RegularExpressions;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Progress;

/// <summary>
/// Masks secrets in the build's output as a stream, not line by line: a value printed one character
/// a line, split across writes, or broken up by terminal escape codes is still found. The output of
/// each step (BuildKit's <c>#N 0.123 text</c> lines; everything else is one stream) is held back
/// until enough of it follows a line to rule out a value starting there, or the step prints a status
/// line, or the build ends. A line that holds part of a split value is masked whole.
/// </summary>
internal sealed class OutputRedactor(SecretRedactor redactor, Action<string, ProgressLineKind, IReadOnlyList<string>> emit)
{
    private static readonly Regex OutputLine = new(@"^(?<channel>#\d+) (?<prefix>\d+\.\d+ )(?<content>.*)$", RegexOptions.CultureInvariant);
    private static readonly Regex StatusLine = new(@"^(?<channel>#\d+) ", RegexOptions.CultureInvariant);

    private readonly object _gate = new();
    private readonly Dictionary<string, List<Pending>> _channels = new(StringComparer.Ordinal);

    /// <summary>Takes one line of output (lines may come from two pipes at once).</summary>
    public void Add(string line, ProgressLineKind kind)
    {
        lock (_gate)
        {
            var output = OutputLine.Match(line);
            if (kind != ProgressLineKind.Other || (!output.Success && StatusLine.IsMatch(line)))
            {
                // A status line (a step starts, ends or fails): the step's held output goes first.
                Release(StatusLine.Match(line) is { Success: true } status ? status.Groups["channel"].Value : string.Empty, all: true);
                Emit(new Pending(line, string.Empty, line, kind));
                return;
            }

            var channel = output.Success ? output.Groups["channel"].Value : string.Empty;
            var pending = output.Success
                ? new Pending(line, output.Groups["channel"].Value + " " + output.Groups["prefix"].Value, output.Groups["content"].Value, kind)
                : new Pending(line, string.Empty, line, kind);
            if (!_channels.TryGetValue(channel, out var held))
            {
                _channels[channel] = held = [];
            }

            held.Add(pending);
            MarkSplitValues(held);
            Release(channel, all: false);
        }
    }

    /// <summary>The build ended: every held line goes out.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            foreach (var channel in _channels.Keys.ToArray())
            {
                Release(channel, all: true);
            }
        }
    }

    /// <summary>Finds values in the held output joined without line breaks and escape codes; the lines a value spans are masked whole.</summary>
    private void MarkSplitValues(List<Pending> held)
    {
        var joined = new StringBuilder();
        var starts = new int[held.Count];
        for (var i = 0; i < held.Count; i++)
        {
            starts[i] = joined.Length;
            joined.Append(held[i].Plain);
        }

        foreach (var (id, start, length) in redactor.Find(joined.ToString()))
        {
            var first = Array.FindLastIndex(starts, s => s <= start);
            var last = Array.FindLastIndex(starts, s => s < start + length);
            if (first == last && held[first].Content.Contains(joined.ToString(start, length)))
            {
                continue; // whole in one line, without escape codes: masked in place when it goes out
            }

            for (var i = first; i <= last; i++)
            {
                held[i].MaskWhole = true;
                if (!held[i].SecretIds.Contains(id))
                {
                    held[i].SecretIds.Add(id);
                }
            }
        }
    }

    private void Release(string channel, bool all)
    {
        if (!_channels.TryGetValue(channel, out var held))
        {
            return;
        }

        while (held.Count > 0 && (all || held.Skip(1).Sum(p => p.Plain.Length) >= redactor.LongestValue))
        {
            Emit(held[0]);
            held.RemoveAt(0);
        }
    }

    private void Emit(Pending pending)
    {
        var masked = redactor.Redact(pending.Content, out var ids);
        var secretIds = pending.SecretIds.Union(ids).ToArray();
        emit(pending.MaskWhole ? pending.Prefix + SecretRedactor.Mask : pending.Prefix + masked, pending.Kind, secretIds);
    }

    private sealed class Pending(string line, string prefix, string content, ProgressLineKind kind)
    {
        public string Line { get; } = line;

        public string Prefix { get; } = prefix;

        public string Content { get; } = content;

        public string Plain { get; } = SecretRedactor.WithoutEscapeCodes(content);

        public ProgressLineKind Kind { get; } = kind;

        public bool MaskWhole { get; set; }

        public List<string> SecretIds { get; } = [];
    }
}
