using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>One string to search for: a secret's value, or a meaningful part of it, in some encoding.</summary>
internal sealed record Needle(string SecretId, string Form, byte[] Bytes);

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
    public static IEnumerable<(string Form, string Value)> Parts(string secret)
    {
        yield return ("whole value", secret.Trim());

        // In a NuGet.Config with credentials, the markup lines (<configuration>, <clear />, a source's
        // <add key=... value=URL />) are not secret: masking them would hide ordinary build output.
        var nuGetConfig = ClearTextPassword.IsMatch(secret);
        foreach (var rawLine in secret.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || (nuGetConfig && line.StartsWith("<", StringComparison.Ordinal)))
            {
                continue;
            }

            yield return ("line", line);

            var equals = line.IndexOf('=');
            if (equals > 0 && equals < line.Length - 1 && !line.StartsWith("<", StringComparison.Ordinal))
            {
                yield return ("KEY=VALUE value", line.Substring(equals + 1).Trim().Trim('"', '\''));
            }

            var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i + 1 < words.Length; i++)
            {
                if (words[i] is "password" or "passwd")
                {
                    yield return ("netrc password", words[i + 1]);
                }
            }
        }

        foreach (Match match in ClearTextPassword.Matches(secret))
        {
            var decoded = System.Net.WebUtility.HtmlDecode(match.Groups[1].Value);
            yield return ("ClearTextPassword", decoded);

            // As the file holds it (&amp;, &lt;, &quot;, ...): a copy of the file has this form.
            if (match.Groups[1].Value != decoded)
            {
                yield return ("ClearTextPassword (XML-escaped)", match.Groups[1].Value);
            }
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
    public static IReadOnlyList<(string Form, string Value)> SearchParts(string secret)
    {
        var parts = Parts(secret).ToArray();
        // Credentials too weak to search for leave the whole value to search: a copy of the file is still found.
        var credentials = parts.Where(p => IsCredential(secret, p.Form, p.Value) && IsSearchable(p.Value)).ToArray();
        var chosen = credentials.Length > 0
            ? credentials
            : parts.Where(p => p.Form == "whole value").Concat(parts.Where(p => p.Form == "line").OrderByDescending(p => p.Value.Length).Take(1)).ToArray();
        var searchable = chosen.Where(p => IsSearchable(p.Value)).GroupBy(p => p.Value, StringComparer.Ordinal).Select(g => g.First()).ToArray();
        return searchable.Where(p => !searchable.Any(other => other.Value.Length < p.Value.Length && p.Value.IndexOf(other.Value, StringComparison.Ordinal) >= 0)).ToArray();
    }

    /// <summary>The needles of one secret: each part to search for, plain and base64; empty when nothing can be searched for reliably.</summary>
    public static IReadOnlyList<Needle> Needles(string secretId, string secret)
    {
        var needles = new List<Needle>();
        foreach (var (form, value) in SearchParts(secret))
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            needles.Add(new Needle(secretId, form, bytes));
            foreach (var fragment in Base64Fragments(bytes))
            {
                needles.Add(new Needle(secretId, form + " (base64)", Encoding.ASCII.GetBytes(fragment)));
            }
        }

        return needles;
    }

    private static bool IsCredential(string secret, string form, string value) =>
        form is "netrc password" or "ClearTextPassword" or "ClearTextPassword (XML-escaped)" || (form == "KEY=VALUE value" && NamesCredential(secret, value));

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
            if (!IsSearchable(value) && (form == "whole value" || IsCredential(secret, form, value)))
            {
                return $"its {form} is shorter than {MinimumLength} characters or too common";
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
