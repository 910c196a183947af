using System.Text;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>Which part of a secret a search string is.</summary>
internal enum SecretForm
{
    WholeValue,
    Line,

    /// <summary>The value of a KEY=VALUE line (.npmrc _authToken, .env files).</summary>
    KeyValueValue,
    NetrcPassword,

    /// <summary>NuGet's <c>&lt;add key="ClearTextPassword" value="..." /&gt;</c>.</summary>
    ClearTextPassword,
}

/// <summary>How a part of a secret is written where it is found.</summary>
internal enum SecretEncoding
{
    Plain,
    Base64,
}

/// <summary>One string to search for: a secret's value, or a meaningful part of it, in some encoding.</summary>
internal sealed record Needle(string SecretId, SecretForm Form, SecretEncoding Encoding, byte[] Bytes)
{
    /// <summary>What was found, for messages: "its netrc password, in base64".</summary>
    public string Description => SecretValues.Describe(Form) + (Encoding == SecretEncoding.Base64 ? ", in base64" : string.Empty);
}

/// <summary>
/// The strings worth searching for in a secret's value: the whole value, its lines, the password of
/// a netrc, the values of KEY=VALUE lines (.npmrc _authToken, .env files), NuGet's ClearTextPassword,
/// and the base64 forms of each. Values too short or too common to find reliably are not searched:
/// the caller reports them as not verifiable.
/// </summary>
internal static class SecretValues
{
    /// <summary>Shorter values match by chance in binaries and text alike.</summary>
    public const int MinimumLength = 8;

    private static readonly HashSet<string> CommonValues = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passw0rd", "password1", "12345678", "123456789", "1234567890", "changeme", "changeit", "secret12",
        "administrator", "qwertyui", "letmein1", "welcome1", "iloveyou", "trustno1", "abcdefgh", "00000000", "11111111",
        "localhost", "127.0.0.1",
    };

    private static readonly Regex ClearTextPassword = new(
        @"key\s*=\s*""ClearTextPassword""\s+value\s*=\s*""([^""]*)""", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    /// <summary>The meaningful values inside a secret, each with the form it was found in.</summary>
    public static IEnumerable<(SecretForm Form, string Value)> Parts(string secret)
    {
        yield return (SecretForm.WholeValue, secret.Trim());
        foreach (var rawLine in secret.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            yield return (SecretForm.Line, line);

            var equals = line.IndexOf('=');
            if (equals > 0 && equals < line.Length - 1 && !line.StartsWith("<", StringComparison.Ordinal))
            {
                yield return (SecretForm.KeyValueValue, line.Substring(equals + 1).Trim().Trim('"', '\''));
            }

            var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i + 1 < words.Length; i++)
            {
                if (words[i] is "password" or "passwd")
                {
                    yield return (SecretForm.NetrcPassword, words[i + 1]);
                }
            }
        }

        foreach (Match match in ClearTextPassword.Matches(secret))
        {
            yield return (SecretForm.ClearTextPassword, System.Net.WebUtility.HtmlDecode(match.Groups[1].Value));
        }
    }

    /// <summary>Whether a part is long and uncommon enough to search for.</summary>
    public static bool IsSearchable(string value) => value.Length >= MinimumLength && !CommonValues.Contains(value);

    /// <summary>
    /// The parts of a secret to search for. When the value has recognizable credentials in it (a netrc
    /// password, a ClearTextPassword, the value of a KEY=VALUE line whose key names a password, token,
    /// secret or auth), those alone: the rest of such a file (machine names, user names) is not secret
    /// and would match innocent files. Otherwise (or when those are too weak to search for) the whole
    /// value and its longest line. A part that
    /// contains another part is dropped: wherever it is, the shorter one is too.
    /// </summary>
    public static IReadOnlyList<(SecretForm Form, string Value)> SearchParts(string secret)
    {
        var parts = Parts(secret).ToArray();
        // Credentials too weak to search for leave the whole value to search: a copy of the file is still found.
        var credentials = parts.Where(p => IsCredential(secret, p.Form, p.Value) && IsSearchable(p.Value)).ToArray();
        var chosen = credentials.Length > 0
            ? credentials
            : parts.Where(p => p.Form == SecretForm.WholeValue).Concat(parts.Where(p => p.Form == SecretForm.Line).OrderByDescending(p => p.Value.Length).Take(1)).ToArray();
        var searchable = chosen.Where(p => IsSearchable(p.Value)).GroupBy(p => p.Value, StringComparer.Ordinal).Select(g => g.First()).ToArray();
        return searchable.Where(p => !searchable.Any(other => other.Value.Length < p.Value.Length && p.Value.Contains(other.Value))).ToArray();
    }

    /// <summary>The needles of one secret: each part to search for, plain and base64; empty when nothing can be searched for reliably.</summary>
    public static IReadOnlyList<Needle> Needles(string secretId, string secret)
    {
        var needles = new List<Needle>();
        foreach (var (form, value) in SearchParts(secret))
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            needles.Add(new Needle(secretId, form, SecretEncoding.Plain, bytes));
            foreach (var fragment in Base64Fragments(bytes))
            {
                needles.Add(new Needle(secretId, form, SecretEncoding.Base64, Encoding.ASCII.GetBytes(fragment)));
            }
        }

        return needles;
    }

    private static bool IsCredential(string secret, SecretForm form, string value) =>
        form is SecretForm.NetrcPassword or SecretForm.ClearTextPassword || (form == SecretForm.KeyValueValue && NamesCredential(secret, value));

    /// <summary>A form as messages name it.</summary>
    public static string Describe(SecretForm form) => form switch
    {
        SecretForm.WholeValue => "its whole value",
        SecretForm.Line => "a line of it",
        SecretForm.KeyValueValue => "the value of one of its KEY=VALUE lines",
        SecretForm.NetrcPassword => "its netrc password",
        _ => "its NuGet ClearTextPassword",
    };

    /// <summary>
    /// The parts of the base64 text that a value produces wherever it sits in a larger encoded
    /// blob. Base64 encodes 3 bytes as 4 characters, so a value starting at byte offset 0, 1 or 2 of a
    /// group yields three different texts; each keeps only the characters that depend on the value
    /// alone (whole groups inside it). Any base64 encoding that contains the value contains one of them.
    /// </summary>
    internal static IEnumerable<string> Base64Fragments(byte[] value)
    {
        for (var skip = 0; skip < 3; skip++)
        {
            var whole = (value.Length - skip) / 3 * 3;
            if (whole <= 0)
            {
                continue;
            }

            var fragment = Convert.ToBase64String(value, skip, whole);
            if (fragment.Length >= MinimumLength)
            {
                yield return fragment;
            }
        }
    }

    /// <summary>
    /// Why a secret cannot be fully verified, or null when it can: its whole value, or a credential
    /// inside it (a netrc password, a ClearTextPassword, the value of a KEY=VALUE line whose key names
    /// a password, token, secret or auth) is too short or too common to search for.
    /// </summary>
    public static string? WhyNotVerifiable(string secret)
    {
        foreach (var (form, value) in Parts(secret))
        {
            if (!IsSearchable(value) && (form == SecretForm.WholeValue || IsCredential(secret, form, value)))
            {
                return $"{Describe(form)} is shorter than {MinimumLength} characters or too common";
            }
        }

        return null;
    }

    private static bool NamesCredential(string secret, string value)
    {
        foreach (var line in secret.Split('\n'))
        {
            var equals = line.IndexOf('=');
            if (equals > 0 && line.Substring(equals + 1).Trim().Trim('"', '\'') == value
                && Regex.IsMatch(line.Substring(0, equals), "pass|token|secret|auth|key", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The plain (not base64) strings of a secret, for searching text such as build arguments.</summary>
    public static IReadOnlyList<string> PlainStrings(string secret) => SearchParts(secret).Select(p => p.Value).ToArray();
}
