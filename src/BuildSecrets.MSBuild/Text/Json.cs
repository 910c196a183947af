using System.Globalization;
using System.Text;

namespace BuildSecrets.MSBuild.Text;

/// <summary>A document that is not JSON; the message says what is wrong, never what the document holds.</summary>
internal sealed class JsonFormatException(string message) : FormatException(message);

/// <summary>
/// A small JSON reader for the few documents the package reads (an image archive's manifest, index
/// and config; the project's secrets.json), which .NET Framework cannot read without a package:
/// objects become dictionaries, arrays lists, numbers doubles.
/// </summary>
internal static class Json
{
    public static object? Parse(string text)
    {
        var position = 0;
        var value = ReadValue(text, ref position);
        SkipWhitespace(text, ref position);
        return position == text.Length ? value : throw Error("text after the document");
    }

    public static IReadOnlyDictionary<string, object?>? Object(object? value, string name) =>
        value is Dictionary<string, object?> map && map.TryGetValue(name, out var child) ? child as Dictionary<string, object?> : null;

    public static IReadOnlyList<object?> Array(object? value, string name) =>
        value is Dictionary<string, object?> map && map.TryGetValue(name, out var child) && child is List<object?> list ? list : [];

    public static string? String(object? value, string name) =>
        value is Dictionary<string, object?> map && map.TryGetValue(name, out var child) ? child as string : null;

    public static bool Bool(object? value, string name) =>
        value is Dictionary<string, object?> map && map.TryGetValue(name, out var child) && child is true;

    private static object? ReadValue(string text, ref int position)
    {
        SkipWhitespace(text, ref position);
        if (position >= text.Length)
        {
            throw Error("the document ends early");
        }

        switch (text[position])
        {
            case '{':
                position++;
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (!ClosesAtOnce(text, ref position, '}'))
                {
                    do
                    {
                        SkipWhitespace(text, ref position);
                        var key = ReadString(text, ref position);
                        SkipWhitespace(text, ref position);
                        Expect(text, ref position, ':');
                        map[key] = ReadValue(text, ref position);
                    }
                    while (AnotherItem(text, ref position, '}'));
                }

                return map;

            case '[':
                position++;
                var list = new List<object?>();
                if (!ClosesAtOnce(text, ref position, ']'))
                {
                    do
                    {
                        list.Add(ReadValue(text, ref position));
                    }
                    while (AnotherItem(text, ref position, ']'));
                }

                return list;

            case '"':
                return ReadString(text, ref position);
            case 't':
                return Literal(text, ref position, "true", true);
            case 'f':
                return Literal(text, ref position, "false", false);
            case 'n':
                return Literal(text, ref position, "null", null);
            default:
                var start = position;
                while (position < text.Length && IsNumberCharacter(text[position]))
                {
                    position++;
                }

                return position > start && double.TryParse(text.Substring(start, position - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? number
                    : throw Error("an unexpected character");
        }
    }

    private static string ReadString(string text, ref int position)
    {
        Expect(text, ref position, '"');
        var result = new StringBuilder();
        while (position < text.Length)
        {
            var c = text[position++];
            if (c == '"')
            {
                return result.ToString();
            }

            if (c != '\\')
            {
                result.Append(c);
                continue;
            }

            if (position >= text.Length)
            {
                break;
            }

            var escaped = text[position++];
            switch (escaped)
            {
                case 'n': result.Append('\n'); break;
                case 't': result.Append('\t'); break;
                case 'r': result.Append('\r'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'u' when position + 4 <= text.Length:
                    result.Append((char)int.Parse(text.Substring(position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    position += 4;
                    break;
                default: result.Append(escaped); break;
            }
        }

        throw Error("a string is never closed");
    }

    private static object? Literal(string text, ref int position, string word, object? value)
    {
        if (string.CompareOrdinal(text, position, word, 0, word.Length) != 0)
        {
            throw Error("an unexpected word");
        }

        position += word.Length;
        return value;
    }

    private static void Expect(string text, ref int position, char expected)
    {
        if (Peek(text, position) != expected)
        {
            throw Error($"'{expected}' expected");
        }

        position++;
    }

    /// <summary>Whether an object or array closes right after it opens (the closing character is then read).</summary>
    private static bool ClosesAtOnce(string text, ref int position, char close)
    {
        SkipWhitespace(text, ref position);
        if (Peek(text, position) != close)
        {
            return false;
        }

        position++;
        return true;
    }

    /// <summary>After an item: true when a ',' announces another, false when the closing character ends the object or array.</summary>
    private static bool AnotherItem(string text, ref int position, char close)
    {
        SkipWhitespace(text, ref position);
        if (Peek(text, position) == ',')
        {
            position++;
            return true;
        }

        Expect(text, ref position, close);
        return false;
    }

    private static bool IsNumberCharacter(char c) => c is (>= '0' and <= '9') or '+' or '-' or '.' or 'e' or 'E';

    private static char Peek(string text, int position) => position < text.Length ? text[position] : '\0';

    private static void SkipWhitespace(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    private static JsonFormatException Error(string problem) => new($"malformed JSON ({problem})");
}
