using System.Text.RegularExpressions;
using BuildSecrets.MSBuild.Leaks;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>
/// Masks secret values in text before it reaches the MSBuild log: the same search strings the image
/// scan uses (<see cref="SecretValues"/>), as far as a log can hold them (plain, base64, hex, URL,
/// JSON and XML escaped). Holds the values in memory only.
/// </summary>
internal sealed class SecretRedactor
{
    public const string Mask = "***";

    private static readonly Regex EscapeCode = new(@"\x1B\[[0-9;?]*[ -/]*[@-~]|\x1B\][^\x07]*\x07", RegexOptions.CultureInvariant);

    private readonly List<(string Id, string Value)> _values = [];

    /// <summary>A redactor for the values of the given secrets (id to value).</summary>
    public static SecretRedactor For(IReadOnlyDictionary<string, byte[]> values)
    {
        var redactor = new SecretRedactor();
        foreach (var value in values)
        {
            foreach (var text in SecretValues.TextNeedles(SecretValues.Needles(value.Key, value.Value)))
            {
                redactor._values.Add((value.Key, text));
            }
        }

        // Longest first, so that a value containing another is masked whole.
        redactor._values.Sort((a, b) => b.Value.Length.CompareTo(a.Value.Length));
        return redactor;
    }

    /// <summary>The longest text masked: how much output must follow a line before it is known to hold no value's start.</summary>
    public int LongestValue => _values.Count == 0 ? 0 : _values[0].Value.Length;

    public string Redact(string text) => Redact(text, out _);

    /// <summary>Masks every secret value in the text; <paramref name="secretIds"/> names the secrets found (empty when none).</summary>
    public string Redact(string text, out IReadOnlyList<string> secretIds)
    {
        List<string>? found = null;
        foreach (var (id, value) in _values)
        {
            if (text.Contains(value))
            {
                text = text.Replace(value, Mask);
                found ??= [];
                if (!found.Contains(id))
                {
                    found.Add(id);
                }
            }
        }

        secretIds = (IReadOnlyList<string>?)found ?? [];
        return text;
    }

    /// <summary>The secrets whose values occur in the text once terminal escape codes are taken out, and where.</summary>
    internal IEnumerable<(string Id, int Start, int Length)> Find(string text)
    {
        foreach (var (id, value) in _values)
        {
            for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
            {
                yield return (id, at, value.Length);
            }
        }
    }

    /// <summary>Text without terminal escape codes (colours, cursor moves).</summary>
    internal static string WithoutEscapeCodes(string text) => text.IndexOf('\x1B') < 0 ? text : EscapeCode.Replace(text, string.Empty);
}
