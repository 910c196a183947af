using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.Scanning;

/// <summary>A string to search an image for, and which form of the secret it is (named in a finding, never the text).</summary>
internal sealed record SearchString(string Text, string Form);

/// <summary>
/// From a secret's value, the strings worth searching an image for: the whole value, its opaque
/// lines, the credentials inside the formats secrets usually come in (netrc, .npmrc and other
/// KEY=VALUE files, NuGet.config, URLs with a password) and the base64 encodings of those. Parts too
/// short or too common to prove anything are not searched for; <see cref="Unverifiable"/> says which
/// (without the value).
/// </summary>
internal sealed class SecretValues
{
    /// <summary>Shorter strings occur by chance in a large image: finding one proves nothing, not finding it proves little.</summary>
    public const int MinimumLength = 8;

    public const string WholeValue = "whole value";
    public const string Line = "line";
    public const string NetrcPassword = "netrc password";
    public const string NetrcAccount = "netrc account";
    public const string NpmAuthToken = "npmrc _authToken";
    public const string KeyValue = "KEY=VALUE value";
    public const string NuGetClearTextPassword = "NuGet ClearTextPassword";
    public const string NuGetPassword = "NuGet Password";
    public const string UrlPassword = "URL password";
    public const string Base64Prefix = "base64 of ";

    /// <summary>Values every image may contain by chance (compared ignoring case). Shorter ones fail the length test anyway.</summary>
    internal static readonly IReadOnlyCollection<string> CommonValues = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passw0rd", "p@ssw0rd", "p@ssword", "password1", "password123", "secret", "secret123", "secrets",
        "admin", "administrator", "root", "toor", "changeme", "changeit", "default", "letmein", "welcome", "welcome1",
        "12345678", "123456789", "1234567890", "87654321", "11111111", "00000000", "abcdefgh", "abcd1234", "qwerty",
        "qwertyui", "qwerty123", "iloveyou", "trustno1", "test", "testtest", "testing", "test1234", "guest", "user",
        "username", "example", "localhost", "undefined", "null", "true", "false", "token",
    };

    private static readonly HashSet<string> NetrcKeywords = new(StringComparer.Ordinal) { "machine", "default", "login", "password", "account", "macdef" };

    /// <summary>Parts of a key that mark its value as a credential: too weak a value there makes the secret unverifiable.</summary>
    private static readonly string[] CredentialKeyParts = { "password", "passwd", "pwd", "token", "secret", "_auth", "apikey", "api_key", "api-key", "credential", "private" };

    private static readonly Regex XmlAddElement = new(@"<add\b(?<attributes>[^>]*)/?>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex XmlAttribute = new(@"(?<name>[\w:.-]+)\s*=\s*(?:""(?<value>[^""]*)""|'(?<value>[^']*)')", RegexOptions.CultureInvariant);
    private static readonly Regex UrlUserInfo = new(@"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:(?<password>[^\s/@]+)@", RegexOptions.CultureInvariant);

    private readonly List<SearchString> _strings = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<(string Text, string Form)> _base64Sources = new();
    private readonly List<string> _unverifiable = new();
    private readonly List<string> _unsearched = new();

    private SecretValues()
    {
    }

    /// <summary>The strings to search for, most telling first (the whole value, then its parts, then their base64 forms); no duplicates.</summary>
    public IReadOnlyList<SearchString> SearchStrings => _strings;

    /// <summary>Why parts of the secret cannot be verified (a warning each); never contains the value.</summary>
    public IReadOnlyList<string> Unverifiable => _unverifiable;

    /// <summary>
    /// The parts too weak to search for (the whole value when it is): not proof of a leak when found,
    /// but still to be masked wherever the scanner quotes the image (a path, a Dockerfile step).
    /// </summary>
    public IReadOnlyList<string> UnsearchedValues => _unsearched;

    public static SecretValues From(string value)
    {
        var result = new SecretValues();
        result.Extract(value ?? string.Empty);
        return result;
    }

    /// <summary>
    /// The standard base64 encoding of <paramref name="value"/> (UTF-8) and the three "core" fragments
    /// that appear in any base64 text encoding it as part of something larger.
    /// </summary>
    /// <remarks>
    /// Base64 turns each group of 3 bytes into 4 characters, so how a value is encoded depends on where
    /// it starts in the encoded data: at a multiple of 3 (alignment 0), or 1 or 2 bytes after one. For
    /// alignment <c>a</c>, encode <c>a</c> filler bytes followed by the value; the characters that
    /// depend only on the value's bytes are those from <c>ceil(8a/6)</c> to <c>floor(8(a+n)/6)</c>
    /// (exclusive): the first ones mix in the filler, the last one the unknown bytes after the value.
    /// Those cores are the same whatever surrounds the value, so a token inside a base64 blob (an
    /// <c>Authorization: Basic</c> header, an npm <c>_auth</c>, a docker config.json <c>auth</c>) is
    /// found whichever its alignment. The standard encoding is kept too: it is what a finding names.
    /// </remarks>
    public static IReadOnlyList<string> Base64Forms(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var forms = new List<string> { Convert.ToBase64String(bytes) };
        for (var alignment = 0; alignment < 3; alignment++)
        {
            var shifted = new byte[alignment + bytes.Length];
            Buffer.BlockCopy(bytes, 0, shifted, alignment, bytes.Length);
            var encoded = Convert.ToBase64String(shifted);
            var start = ((8 * alignment) + 5) / 6;
            var end = 8 * (alignment + bytes.Length) / 6;
            if (end - start >= NeedleSearch.MinimumNeedleLength)
            {
                var core = encoded.Substring(start, end - start);
                if (!forms.Contains(core))
                {
                    forms.Add(core);
                }
            }
        }

        return forms;
    }

    /// <summary>Why a candidate is too weak to search for (a phrase to follow "is"), or null when it is strong enough.</summary>
    internal static string? Weakness(string candidate)
    {
        if (candidate.Length < MinimumLength)
        {
            return $"shorter than {MinimumLength} characters";
        }

        if (CommonValues.Contains(candidate))
        {
            return "a common word that ordinary files contain";
        }

        if (candidate.All(c => c == candidate[0]))
        {
            return "one character repeated";
        }

        return null;
    }

    private void Extract(string value)
    {
        var whole = value.Trim();
        if (whole.Length == 0)
        {
            _unverifiable.Add("the value is empty");
            return;
        }

        var weakness = Weakness(whole);
        if (weakness is not null)
        {
            // Every part of the value is shorter still: nothing can be searched for.
            _unverifiable.Add($"the value is {weakness}");
            _unsearched.Add(whole);
            return;
        }

        Add(whole, WholeValue, base64: true);

        if (IsNetrc(whole))
        {
            ExtractNetrc(whole);
        }
        else if (whole.StartsWith("<", StringComparison.Ordinal))
        {
            ExtractNuGetConfig(whole);
        }
        else
        {
            ExtractLines(whole);
        }

        foreach (Match match in UrlUserInfo.Matches(whole))
        {
            AddCredential(match.Groups["password"].Value, UrlPassword);
        }

        // Base64 forms last: a finding names the most telling form found.
        foreach (var (text, form) in _base64Sources)
        {
            foreach (var encoded in Base64Forms(text))
            {
                Add(encoded, Base64Prefix + form, base64: false);
            }
        }
    }

    /// <summary>A netrc is a sequence of tokens: keywords (machine, login, password...) each followed by its value, on one line or many.</summary>
    private static bool IsNetrc(string whole)
    {
        var first = Tokens(whole).FirstOrDefault();
        return first is not null && NetrcKeywords.Contains(first);
    }

    private void ExtractNetrc(string whole)
    {
        // Machine names and logins are not secret (and searching them would report every copy of a
        // host name); the password and account are. The lines are made of those tokens, so no line
        // is searched on its own: each of its secret parts is.
        var tokens = Tokens(whole).ToList();
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            var form = tokens[i] switch
            {
                "password" or "passwd" => NetrcPassword,
                "account" => NetrcAccount,
                _ => null,
            };
            if (form is not null)
            {
                AddCredential(Unquote(tokens[i + 1]), form);
                i++;
            }
        }
    }

    private void ExtractNuGetConfig(string whole)
    {
        // The markup of a NuGet.config (its XML declaration, element names, feed URLs and user names) is
        // in countless files: only the password values are searched for, unescaped (as a program reads
        // them) and as written (as a copy of the file holds them).
        foreach (Match element in XmlAddElement.Matches(whole))
        {
            string? key = null;
            string? rawValue = null;
            foreach (Match attribute in XmlAttribute.Matches(element.Groups["attributes"].Value))
            {
                var name = attribute.Groups["name"].Value;
                if (string.Equals(name, "key", StringComparison.OrdinalIgnoreCase))
                {
                    key = attribute.Groups["value"].Value;
                }
                else if (string.Equals(name, "value", StringComparison.OrdinalIgnoreCase))
                {
                    rawValue = attribute.Groups["value"].Value;
                }
            }

            if (key is null || rawValue is null)
            {
                continue;
            }

            var form = key.Equals("ClearTextPassword", StringComparison.OrdinalIgnoreCase) ? NuGetClearTextPassword
                : key.Equals("Password", StringComparison.OrdinalIgnoreCase) ? NuGetPassword
                : null;
            if (form is null)
            {
                continue;
            }

            var unescaped = XmlUnescape(rawValue);
            AddCredential(unescaped, form);
            if (!string.Equals(unescaped, rawValue, StringComparison.Ordinal))
            {
                AddIfStrong(rawValue, form, base64: false);
            }
        }
    }

    private void ExtractLines(string whole)
    {
        foreach (var rawLine in whole.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0
                || line.StartsWith("#", StringComparison.Ordinal)
                || line.StartsWith(";", StringComparison.Ordinal)
                || (line.StartsWith("[", StringComparison.Ordinal) && line.EndsWith("]", StringComparison.Ordinal))
                || line.StartsWith("-----BEGIN ", StringComparison.Ordinal)
                || line.StartsWith("-----END ", StringComparison.Ordinal))
            {
                // Comments, INI sections and PEM armor lines are structure shared by countless files.
                continue;
            }

            if (TrySplitKeyValue(line, out var key, out var keyValue))
            {
                // The line is searched through its value: every occurrence of the line contains it, and
                // the key (or a line like "registry=https://...") is not secret.
                if (IsAddress(keyValue))
                {
                    continue;
                }

                var form = key.EndsWith("_authToken", StringComparison.OrdinalIgnoreCase) ? NpmAuthToken : KeyValue;
                if (form == NpmAuthToken || IsCredentialKey(key))
                {
                    AddCredential(keyValue, form);
                }
                else
                {
                    AddIfStrong(keyValue, form, base64: true);
                }

                continue;
            }

            // An opaque line: a token on a line of its own, a line of a PEM key's body.
            AddIfStrong(line, Line, base64: false);
        }
    }

    private static bool TrySplitKeyValue(string line, out string key, out string value)
    {
        key = value = string.Empty;
        var equals = line.IndexOf('=');
        if (equals <= 0 || equals >= line.Length - 1)
        {
            return false;
        }

        key = line.Substring(0, equals).Trim();
        if (key.StartsWith("export ", StringComparison.Ordinal))
        {
            key = key.Substring("export ".Length).Trim();
        }

        if (key.Length == 0 || key.Any(char.IsWhiteSpace) || key.IndexOfAny(new[] { '"', '\'', '<', '>' }) >= 0)
        {
            return false;
        }

        value = Unquote(line.Substring(equals + 1).Trim());
        return value.Length > 0;
    }

    private static bool IsCredentialKey(string key) =>
        CredentialKeyParts.Any(part => key.IndexOf(part, StringComparison.OrdinalIgnoreCase) >= 0);

    /// <summary>A URL without a password (a registry or feed address) is configuration, not a credential.</summary>
    private static bool IsAddress(string value) =>
        Regex.IsMatch(value, @"^[A-Za-z][A-Za-z0-9+.-]*://[^\s@]*$", RegexOptions.CultureInvariant);

    private static IEnumerable<string> Tokens(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static string Unquote(string value) =>
        value.Length >= 2 && ((value[0] == '"' && value[value.Length - 1] == '"') || (value[0] == '\'' && value[value.Length - 1] == '\''))
            ? value.Substring(1, value.Length - 2)
            : value;

    private static string XmlUnescape(string value) =>
        value.Replace("&lt;", "<").Replace("&gt;", ">").Replace("&quot;", "\"").Replace("&apos;", "'").Replace("&amp;", "&");

    /// <summary>A credential field: searched for, or reported as unverifiable when too weak.</summary>
    private void AddCredential(string value, string form)
    {
        var weakness = Weakness(value);
        if (weakness is not null)
        {
            var reason = $"its {form} is {weakness}";
            if (!_unverifiable.Contains(reason))
            {
                _unverifiable.Add(reason);
            }

            if (value.Length > 0 && !_unsearched.Contains(value))
            {
                _unsearched.Add(value);
            }

            return;
        }

        Add(value, form, base64: true);
    }

    /// <summary>A part that may or may not be secret: searched for when strong enough, silently left out otherwise.</summary>
    private void AddIfStrong(string value, string form, bool base64)
    {
        if (Weakness(value) is null)
        {
            Add(value, form, base64);
        }
    }

    private void Add(string text, string form, bool base64)
    {
        if (_seen.Add(text))
        {
            _strings.Add(new SearchString(text, form));
            if (base64)
            {
                _base64Sources.Add((text, form));
            }
        }
    }
}
