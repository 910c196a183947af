using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>Which part of a secret a search string comes from.</summary>
internal enum SecretForm
{
    /// <summary>The whole value (or, for a long one, windows of it).</summary>
    WholeValue,

    /// <summary>The longest line of a value with no structure the package reads.</summary>
    Line,

    /// <summary>The value of a KEY=VALUE pair (.env, .npmrc, INI, connection strings).</summary>
    KeyValueValue,
    NetrcPassword,

    /// <summary>A netrc login that looks like a token (Git hosts take tokens as logins).</summary>
    NetrcLogin,

    /// <summary>NuGet's <c>&lt;add key="ClearTextPassword" value="..." /&gt;</c>, attributes in any order.</summary>
    ClearTextPassword,

    /// <summary>A string value of a JSON document (a service-account key, say).</summary>
    JsonValue,

    /// <summary>The password of a URL with credentials (git-credentials, connection URLs).</summary>
    UrlPassword,

    /// <summary><c>login:password</c>, as HTTP Basic authentication sends it (base64).</summary>
    BasicCredentials,

    /// <summary>The body of a PEM block (a private key), as text or as the decoded DER bytes.</summary>
    PemBody,

    /// <summary>Raw bytes of a binary secret (a .pfx, a keystore, a strong-name key).</summary>
    Binary,
}

/// <summary>One part of a secret worth searching for: its text, or its bytes for a binary part.</summary>
internal sealed record SecretFragment(SecretForm Form, string? Text, byte[]? Bytes, bool IsCredential)
{
    /// <summary>A part of text; a URL is never a credential itself (its password is a part of its own).</summary>
    public static SecretFragment OfText(SecretForm form, string text, bool isCredential = false) => new(form, text, null, isCredential && !text.Contains("://"));

    public static SecretFragment OfBytes(SecretForm form, byte[] bytes) => new(form, null, bytes, false);

    /// <summary>Never prints the fragment.</summary>
    public override string ToString() => Form.ToString();
}

/// <summary>
/// Reads the structure of the formats people keep secrets in (netrc, JSON, XML and NuGet.Config,
/// INI/.env, connection strings, URLs with credentials, PEM, binary files) and yields the parts of a
/// secret that identify it. What is distinctive enough to search for is <see cref="Distinctiveness"/>'s call.
/// </summary>
internal static class SecretFragments
{
    private static readonly Regex NetrcToken = new(@"\S+", RegexOptions.CultureInvariant);
    private static readonly Regex UrlCredentials = new(@"[A-Za-z][A-Za-z0-9+.\-]*://(?<user>[^:/@\s]+):(?<password>[^@/\s]+)@", RegexOptions.CultureInvariant);
    private static readonly Regex XmlElement = new(@"<[A-Za-z][\w:.\-]*(?<attributes>(?:\s+[\w:.\-]+\s*=\s*(?:""[^""]*""|'[^']*'))+)\s*/?>", RegexOptions.CultureInvariant);
    private static readonly Regex XmlAttribute = new(@"(?<name>[\w:.\-]+)\s*=\s*(?:""(?<value>[^""]*)""|'(?<value>[^']*)')", RegexOptions.CultureInvariant);
    private static readonly Regex XmlText = new(@"<(?<name>[\w:.\-]+)>(?<value>[^<]+)</\k<name>>", RegexOptions.CultureInvariant);
    private static readonly Regex Pem = new(@"-----BEGIN (?<label>[A-Z0-9 ]+)-----(?<body>[A-Za-z0-9+/=\s:,\-]+?)-----END \k<label>-----", RegexOptions.CultureInvariant);

    /// <summary>The text of a secret's bytes, when it is text: UTF-8, UTF-16 with a byte-order mark, or Latin-1; null for binary.</summary>
    public static string? Decode(byte[] secret)
    {
        if (secret.Length >= 2 && ((secret[0] == 0xFF && secret[1] == 0xFE) || (secret[0] == 0xFE && secret[1] == 0xFF)))
        {
            var utf16 = secret[0] == 0xFF ? Encoding.Unicode : Encoding.BigEndianUnicode;
            return utf16.GetString(secret, 2, secret.Length - 2);
        }

        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(secret);
            return text.Length > 0 && text[0] == '\uFEFF' ? text.Substring(1) : text;
        }
        catch (DecoderFallbackException)
        {
        }

        // Latin-1 text has no control characters but tab, line feed and carriage return.
        return secret.All(b => b >= 0x20 || b is 0x09 or 0x0A or 0x0D) ? Encoding.GetEncoding(28591).GetString(secret) : null;
    }

    /// <summary>Every part of the secret that could identify it, structured ones first.</summary>
    public static IReadOnlyList<SecretFragment> Of(byte[] secret)
    {
        var text = Decode(secret);
        if (text is null)
        {
            return [SecretFragment.OfBytes(SecretForm.Binary, secret)];
        }

        var found = new List<SecretFragment>();
        Netrc(text, found);
        KeyValues(text, found);
        Urls(text, found);
        Xml(text, found);
        JsonValues(text, found);
        PemBodies(text, found);
        var trimmed = text.Trim();
        found.Add(SecretFragment.OfText(SecretForm.WholeValue, trimmed));
        if (trimmed.Contains("\n"))
        {
            var longest = trimmed.Split('\n').Select(l => l.Trim()).OrderByDescending(l => l.Length).First();
            found.Add(SecretFragment.OfText(SecretForm.Line, longest));
        }

        return found;
    }

    private static void Netrc(string text, List<SecretFragment> found)
    {
        var tokens = NetrcToken.Matches(text).Cast<Match>().Select(m => m.Value).ToArray();
        if (!tokens.Any(t => t == "machine" || t == "default"))
        {
            return;
        }

        for (var i = 0; i + 1 < tokens.Length; i++)
        {
            switch (tokens[i])
            {
                case "password" or "passwd":
                    found.Add(SecretFragment.OfText(SecretForm.NetrcPassword, tokens[i + 1], isCredential: true));
                    if (i >= 2 && tokens[i - 2] == "login")
                    {
                        Basic(tokens[i - 1], tokens[i + 1], found);
                    }

                    break;
                case "login":
                    found.Add(SecretFragment.OfText(SecretForm.NetrcLogin, tokens[i + 1]));
                    if (i + 3 < tokens.Length && tokens[i + 2] is "password" or "passwd")
                    {
                        Basic(tokens[i + 1], tokens[i + 3], found);
                    }

                    break;
            }
        }
    }

    /// <summary>login:password, as HTTP Basic authentication sends it; only for a password strong enough to search for on its own.</summary>
    private static void Basic(string login, string password, List<SecretFragment> found)
    {
        if (Distinctiveness.WhyNot(password) is null)
        {
            found.Add(SecretFragment.OfText(SecretForm.BasicCredentials, login + ":" + password));
        }
    }

    /// <summary>KEY=VALUE lines (.env, .npmrc, INI) and ';'-separated pairs (connection strings).</summary>
    private static void KeyValues(string text, List<SecretFragment> found)
    {
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] is '#' or ';' or '<' or '[' or '{')
            {
                continue;
            }

            foreach (var pair in line.Split(';'))
            {
                var equals = pair.IndexOf('=');
                if (equals <= 0 || equals == pair.Length - 1)
                {
                    continue;
                }

                var key = pair.Substring(0, equals).Trim();
                var value = pair.Substring(equals + 1).Trim().Trim('"', '\'');
                if (value.Length > 0)
                {
                    found.Add(SecretFragment.OfText(SecretForm.KeyValueValue, value, Distinctiveness.NamesCredential(key)));
                }
            }
        }
    }

    private static void Urls(string text, List<SecretFragment> found)
    {
        foreach (Match match in UrlCredentials.Matches(text))
        {
            var user = Uri.UnescapeDataString(match.Groups["user"].Value);
            var password = Uri.UnescapeDataString(match.Groups["password"].Value);
            found.Add(SecretFragment.OfText(SecretForm.UrlPassword, password, isCredential: true));
            Basic(user, password, found);
        }
    }

    /// <summary>XML attributes and element texts whose name (or the key="..." beside them) names a credential, unescaped.</summary>
    private static void Xml(string text, List<SecretFragment> found)
    {
        foreach (Match element in XmlElement.Matches(text))
        {
            var attributes = XmlAttribute.Matches(element.Groups["attributes"].Value).Cast<Match>()
                .ToDictionary(a => a.Groups["name"].Value, a => System.Net.WebUtility.HtmlDecode(a.Groups["value"].Value), StringComparer.OrdinalIgnoreCase);
            if (attributes.TryGetValue("key", out var key) && attributes.TryGetValue("value", out var value))
            {
                var form = string.Equals(key, "ClearTextPassword", StringComparison.OrdinalIgnoreCase) ? SecretForm.ClearTextPassword : SecretForm.KeyValueValue;
                found.Add(SecretFragment.OfText(form, value, form == SecretForm.ClearTextPassword || Distinctiveness.NamesCredential(key)));
            }

            foreach (var attribute in attributes.Where(a => !string.Equals(a.Key, "key", StringComparison.OrdinalIgnoreCase) && !string.Equals(a.Key, "value", StringComparison.OrdinalIgnoreCase) && Distinctiveness.NamesCredential(a.Key)))
            {
                found.Add(SecretFragment.OfText(SecretForm.KeyValueValue, attribute.Value, isCredential: true));
            }
        }

        foreach (Match element in XmlText.Matches(text))
        {
            found.Add(SecretFragment.OfText(SecretForm.KeyValueValue, System.Net.WebUtility.HtmlDecode(element.Groups["value"].Value).Trim(), Distinctiveness.NamesCredential(element.Groups["name"].Value)));
        }
    }

    private static void JsonValues(string text, List<SecretFragment> found)
    {
        var trimmed = text.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] is not ('{' or '['))
        {
            return;
        }

        object? document;
        try
        {
            document = Json.Parse(text);
        }
        catch (JsonFormatException)
        {
            return;
        }

        Walk(document, null);

        void Walk(object? node, string? key)
        {
            switch (node)
            {
                case Dictionary<string, object?> map:
                    foreach (var pair in map)
                    {
                        Walk(pair.Value, pair.Key);
                    }

                    break;
                case List<object?> list:
                    foreach (var item in list)
                    {
                        Walk(item, key);
                    }

                    break;
                case string value:
                    found.Add(SecretFragment.OfText(SecretForm.JsonValue, value, key is not null && Distinctiveness.NamesCredential(key)));
                    PemBodies(value, found);
                    break;
            }
        }
    }

    /// <summary>The body of each PEM block, as text without line breaks and as the bytes it encodes; never the BEGIN/END lines.</summary>
    private static void PemBodies(string text, List<SecretFragment> found)
    {
        foreach (Match block in Pem.Matches(text))
        {
            var lines = block.Groups["body"].Value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l.IndexOf(':') < 0).ToArray();
            var body = string.Concat(lines);
            found.Add(SecretFragment.OfText(SecretForm.PemBody, body, isCredential: true));
            try
            {
                found.Add(SecretFragment.OfBytes(SecretForm.PemBody, Convert.FromBase64String(body)));
            }
            catch (FormatException)
            {
            }
        }
    }
}
