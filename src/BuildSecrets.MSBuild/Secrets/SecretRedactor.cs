using BuildSecrets.MSBuild.Leaks;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>
/// Masks secret values in lines before they reach the MSBuild log, so that a step which prints a
/// mounted secret does not copy it into the build output. Holds the values in memory only.
/// </summary>
internal sealed class SecretRedactor
{
    /// <summary>Shorter values would mask ordinary words all over the log and hide nothing useful.</summary>
    internal const int MinimumLength = 4;

    public const string Mask = "***";

    private readonly List<(string Id, string Value)> _values = new();

    /// <summary>A redactor for the values of the given secrets (id to value).</summary>
    public static SecretRedactor For(IReadOnlyDictionary<string, string> values)
    {
        var redactor = new SecretRedactor();
        foreach (var value in values)
        {
            redactor.Add(value.Key, value.Value);
        }

        return redactor;
    }

    /// <summary>Adds a secret's whole value and the meaningful values inside it (see <see cref="SecretValues.Parts"/>).</summary>
    public void Add(string id, string secret)
    {
        foreach (var candidate in SecretValues.Parts(secret).Select(p => p.Value))
        {
            if (candidate.Length >= MinimumLength && !_values.Any(v => v.Value == candidate))
            {
                _values.Add((id, candidate));
            }
        }

        // Longest first, so that a value containing another is masked whole.
        _values.Sort((a, b) => b.Value.Length.CompareTo(a.Value.Length));
    }

    public string Redact(string line) => Redact(line, out _);

    /// <summary>Masks every secret value in the line; <paramref name="secretIds"/> names the secrets found (empty when none).</summary>
    public string Redact(string line, out IReadOnlyList<string> secretIds)
    {
        List<string>? found = null;
        foreach (var (id, value) in _values)
        {
            if (line.Contains(value))
            {
                line = line.Replace(value, Mask);
                found ??= new List<string>();
                if (!found.Contains(id))
                {
                    found.Add(id);
                }
            }
        }

        secretIds = (IReadOnlyList<string>?)found ?? Array.Empty<string>();
        return line;
    }
}
