using System.Text;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>How a part of a secret is written where it is found.</summary>
internal enum SecretEncoding
{
    Plain,
    Latin1,
    Utf16LittleEndian,
    Utf16BigEndian,
    Base64,
    Base64Url,
    Hex,
    UrlEncoded,
    JsonEscaped,
    XmlEscaped,
}

/// <summary>One string to search for: a part of a secret, in one encoding.</summary>
internal sealed record Needle(string SecretId, SecretForm Form, SecretEncoding Encoding, byte[] Bytes)
{
    /// <summary>What was found, for messages: "its netrc password, base64-encoded".</summary>
    public string Description => SecretValues.Describe(Form) + SecretValues.Describe(Encoding);

    /// <summary>Whether the needle is text a log line can hold as it is: UTF-8 without control characters (not UTF-16, Latin-1 or binary bytes).</summary>
    public bool IsLogText => Encoding is not (SecretEncoding.Latin1 or SecretEncoding.Utf16LittleEndian or SecretEncoding.Utf16BigEndian)
        && SecretValues.TryText(Bytes) is { } text && !text.Any(char.IsControl);

    /// <summary>Never prints the needle.</summary>
    public override string ToString() => $"{SecretId}: {Description}";
}

/// <summary>
/// The one set of search strings of a secret, used by the context check, the log redactor and the
/// image scan alike: every distinctive part of it (<see cref="SecretFragments"/>,
/// <see cref="Distinctiveness"/>), each in every encoding a copy could take (plain, Latin-1,
/// UTF-16, base64 and URL-safe base64 at every alignment and in pieces that survive line wrapping,
/// hex, URL, JSON and XML escaping). A long part is searched through up to 8 windows of 32
/// characters spread over it, so that the search stays small and a copy of a large part is found.
/// </summary>
internal static class SecretValues
{
    private const int WindowLength = 32;
    private const int MaxWindows = 8;
    private const int LongFragment = 64;
    private const int Base64Piece = 24;
    private const int MinimumBase64 = 12;

    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
    private static readonly Encoding Latin1 = System.Text.Encoding.GetEncoding(28591);

    /// <summary>The needles of one secret; empty when nothing in it can be searched for reliably.</summary>
    public static IReadOnlyList<Needle> Needles(string secretId, byte[] secret)
    {
        var needles = new List<Needle>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fragment in SearchFragments(secret))
        {
            foreach (var piece in Pieces(fragment))
            {
                foreach (var (encoding, bytes) in Encodings(piece))
                {
                    if (bytes.Length >= Distinctiveness.MinimumLength && seen.Add(Convert.ToBase64String(bytes)))
                    {
                        needles.Add(new Needle(secretId, fragment.Form, encoding, bytes));
                    }
                }
            }
        }

        return needles;
    }

    /// <summary>The needles as text, for searching and masking text (build output, build arguments, the Dockerfile).</summary>
    public static IReadOnlyList<string> TextNeedles(IEnumerable<Needle> needles) =>
        needles.Where(n => n.IsLogText).Select(n => System.Text.Encoding.UTF8.GetString(n.Bytes)).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The distinctive parts of a secret. A part that contains another is dropped: wherever it is,
    /// the shorter one is too, in every encoding.
    /// </summary>
    public static IReadOnlyList<SecretFragment> SearchFragments(byte[] secret)
    {
        var fragments = SecretFragments.Of(secret);
        var searchable = fragments.Where(f => Distinctiveness.WhyNot(f) is null).ToList();
        var structured = searchable.Where(f => f.Form is not (SecretForm.WholeValue or SecretForm.Line)).ToList();
        // A value with structure the package reads is searched through its parts; the whole value
        // too when no part is distinctive or a credential in it is too weak (a copy of the file is
        // then still found).
        var weakCredential = fragments.Any(f => f.IsCredential && f.Text is { Length: < LongFragment } && Distinctiveness.WhyNot(f) is not null);
        var chosen = structured.Count > 0 && !weakCredential ? structured : searchable;
        var distinct = chosen.GroupBy(Key).Select(g => g.First()).ToList();
        return distinct.Where(f => !distinct.Any(other => !ReferenceEquals(other, f) && Contains(f, other))).ToArray();
    }

    /// <summary>Why a secret cannot be fully verified, or null when it can: a credential in it, or the whole of it, is too weak to search for.</summary>
    public static string? WhyNotVerifiable(byte[] secret)
    {
        foreach (var fragment in SecretFragments.Of(secret).Where(f => f.IsCredential || f.Form is SecretForm.WholeValue or SecretForm.Binary))
        {
            if (Distinctiveness.WhyNot(fragment) is { } reason)
            {
                return $"{Describe(fragment.Form)} is {reason}";
            }
        }

        return Needles("x", secret).Count == 0 ? "nothing in it is long and random enough to search for" : null;
    }

    /// <summary>A form as messages name it.</summary>
    public static string Describe(SecretForm form) => form switch
    {
        SecretForm.WholeValue => "its whole value",
        SecretForm.Line => "a line of it",
        SecretForm.KeyValueValue => "the value of one of its KEY=VALUE pairs",
        SecretForm.NetrcPassword => "its netrc password",
        SecretForm.NetrcLogin => "its netrc login",
        SecretForm.ClearTextPassword => "its NuGet ClearTextPassword",
        SecretForm.JsonValue => "a value of its JSON",
        SecretForm.UrlPassword => "the password of a URL in it",
        SecretForm.BasicCredentials => "its login:password",
        SecretForm.PemBody => "its PEM key",
        _ => "its bytes",
    };

    public static string Describe(SecretEncoding encoding) => encoding switch
    {
        SecretEncoding.Plain => string.Empty,
        SecretEncoding.Latin1 => ", in Latin-1",
        SecretEncoding.Utf16LittleEndian or SecretEncoding.Utf16BigEndian => ", in UTF-16",
        SecretEncoding.Base64 => ", base64-encoded",
        SecretEncoding.Base64Url => ", URL-safe base64-encoded",
        SecretEncoding.Hex => ", hex-encoded",
        SecretEncoding.UrlEncoded => ", URL-encoded",
        SecretEncoding.JsonEscaped => ", JSON-escaped",
        _ => ", XML-escaped",
    };

    /// <summary>
    /// The parts of the base64 text that bytes produce wherever they sit in a larger encoded blob:
    /// base64 encodes 3 bytes as 4 characters, so bytes starting at offset 0, 1 or 2 of a group give
    /// three texts; each keeps the whole groups inside the bytes. Text longer than a wrapped line
    /// could break is cut into pieces of 24 characters (12 for shorter text), so that base64 wrapped
    /// at 64 or 76 columns still leaves one piece whole.
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

            var text = Convert.ToBase64String(value, skip, whole);
            var piece = text.Length >= 2 * Base64Piece ? Base64Piece : text.Length >= 2 * MinimumBase64 ? text.Length / 2 : text.Length;
            for (var start = 0; start + piece <= text.Length; start += piece)
            {
                yield return text.Substring(start, piece);
            }
        }
    }

    private static string Key(SecretFragment fragment) => fragment.Text is { } text ? "text:" + text : "bytes:" + Convert.ToBase64String(fragment.Bytes!);

    private static bool Contains(SecretFragment outer, SecretFragment inner) =>
        outer.Text is { } text && inner.Text is { } part ? part.Length < text.Length && text.Contains(part)
        : outer.Bytes is { } bytes && inner.Bytes is { } innerBytes && innerBytes.Length < bytes.Length && Text.MultiPatternSearch.Contains(bytes, innerBytes);

    /// <summary>A short fragment whole; a long one as distinctive windows spread over it.</summary>
    private static IEnumerable<SecretFragment> Pieces(SecretFragment fragment)
    {
        var length = fragment.Text?.Length ?? fragment.Bytes!.Length;
        if (length <= LongFragment)
        {
            return [fragment];
        }

        var windows = new List<SecretFragment>();
        for (var start = 0; start + WindowLength <= length; start += WindowLength)
        {
            var window = fragment.Text is { } text
                ? fragment with { Text = text.Substring(start, WindowLength) }
                : fragment with { Bytes = fragment.Bytes!.Skip(start).Take(WindowLength).ToArray() };
            if (Distinctiveness.WhyNot(window with { IsCredential = true }) is null)
            {
                windows.Add(window);
            }
        }

        // Spread over the whole fragment, so that a copy of any large part of it holds one.
        return windows.Count <= MaxWindows ? windows : Enumerable.Range(0, MaxWindows).Select(i => windows[i * windows.Count / MaxWindows]);
    }

    private static IEnumerable<(SecretEncoding, byte[])> Encodings(SecretFragment piece)
    {
        var bytes = piece.Bytes ?? System.Text.Encoding.UTF8.GetBytes(piece.Text!);
        yield return (SecretEncoding.Plain, bytes);
        if (piece.Text is { } text)
        {
            if (text.Any(c => c > 0x7F) && text.All(c => c <= 0xFF))
            {
                yield return (SecretEncoding.Latin1, Latin1.GetBytes(text));
            }

            yield return (SecretEncoding.Utf16LittleEndian, System.Text.Encoding.Unicode.GetBytes(text));
            yield return (SecretEncoding.Utf16BigEndian, System.Text.Encoding.BigEndianUnicode.GetBytes(text));
            foreach (var (encoding, escaped) in new[]
            {
                (SecretEncoding.UrlEncoded, Uri.EscapeDataString(text)),
                (SecretEncoding.JsonEscaped, JsonEscape(text, strict: false)),
                (SecretEncoding.JsonEscaped, JsonEscape(text, strict: true)),
                (SecretEncoding.XmlEscaped, System.Security.SecurityElement.Escape(text)),
            })
            {
                if (!string.Equals(escaped, text, StringComparison.Ordinal))
                {
                    yield return (encoding, System.Text.Encoding.UTF8.GetBytes(escaped));
                }
            }
        }

        foreach (var fragment in Base64Fragments(bytes))
        {
            yield return (SecretEncoding.Base64, System.Text.Encoding.ASCII.GetBytes(fragment));
            var urlSafe = fragment.Replace('+', '-').Replace('/', '_');
            if (!string.Equals(urlSafe, fragment, StringComparison.Ordinal))
            {
                yield return (SecretEncoding.Base64Url, System.Text.Encoding.ASCII.GetBytes(urlSafe));
            }
        }

        yield return (SecretEncoding.Hex, System.Text.Encoding.ASCII.GetBytes(Hex.Of(bytes, upper: false)));
        yield return (SecretEncoding.Hex, System.Text.Encoding.ASCII.GetBytes(Hex.Of(bytes, upper: true)));
    }

    /// <summary>The text of bytes that are valid UTF-8, else null.</summary>
    internal static string? TryText(byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// A string as a JSON writer stores it: the minimal escapes (Json.NET), or also HTML-sensitive
    /// and non-ASCII characters as \uXXXX (System.Text.Json's default, <paramref name="strict"/>).
    /// </summary>
    private static string JsonEscape(string text, bool strict)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture),
                '+' or '<' or '>' or '&' or '\'' or '`' or > '~' when strict => "\\u" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }
}
