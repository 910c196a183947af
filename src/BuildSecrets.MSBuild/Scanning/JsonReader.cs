using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace BuildSecrets.MSBuild.Scanning;

/// <summary>A JSON object: its members in document order (a repeated key: the last one wins on lookup).</summary>
internal sealed class JsonObject
{
    public List<KeyValuePair<string, object?>> Members { get; } = new();

    public object? this[string key]
    {
        get
        {
            for (var i = Members.Count - 1; i >= 0; i--)
            {
                if (string.Equals(Members[i].Key, key, StringComparison.Ordinal))
                {
                    return Members[i].Value;
                }
            }

            return null;
        }
    }

    public string? GetString(string key) => this[key] as string;

    public JsonObject? GetObject(string key) => this[key] as JsonObject;

    public List<object?>? GetArray(string key) => this[key] as List<object?>;
}

/// <summary>A JSON number, kept as written.</summary>
internal sealed record JsonNumber(string Text);

/// <summary>
/// A small recursive-descent JSON reader for the few documents of an image archive (manifest.json,
/// index.json, OCI manifests, the image config); .NET Framework has no JSON library to rely on.
/// Objects read as <see cref="JsonObject"/>, arrays as <c>List&lt;object?&gt;</c>, strings as
/// <see cref="string"/>, numbers as <see cref="JsonNumber"/>, true/false as <see cref="bool"/>, null
/// as null. Errors name the document and the offset, never its content.
/// </summary>
internal sealed class JsonReader
{
    private const int MaxDepth = 128;

    private readonly string _text;
    private readonly string _documentName;
    private int _position;

    private JsonReader(string text, string documentName)
    {
        _text = text;
        _documentName = documentName;
    }

    public static object? Parse(byte[] utf8, int count, string documentName)
    {
        var start = count >= 3 && utf8[0] == 0xEF && utf8[1] == 0xBB && utf8[2] == 0xBF ? 3 : 0;
        return Parse(Encoding.UTF8.GetString(utf8, start, count - start), documentName);
    }

    public static object? Parse(string text, string documentName)
    {
        var reader = new JsonReader(text, documentName);
        reader.SkipWhitespace();
        var value = reader.ReadValue(0);
        reader.SkipWhitespace();
        if (reader._position != text.Length)
        {
            throw reader.Error("unexpected text after the document");
        }

        return value;
    }

    private object? ReadValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error($"nesting deeper than {MaxDepth} levels");
        }

        if (_position >= _text.Length)
        {
            throw Error("unexpected end of the document");
        }

        switch (_text[_position])
        {
            case '{':
                return ReadObject(depth);
            case '[':
                return ReadArray(depth);
            case '"':
                return ReadString();
            case 't':
                ReadLiteral("true");
                return true;
            case 'f':
                ReadLiteral("false");
                return false;
            case 'n':
                ReadLiteral("null");
                return null;
            default:
                return ReadNumber();
        }
    }

    private JsonObject ReadObject(int depth)
    {
        var result = new JsonObject();
        _position++;
        SkipWhitespace();
        if (TryConsume('}'))
        {
            return result;
        }

        while (true)
        {
            SkipWhitespace();
            if (_position >= _text.Length || _text[_position] != '"')
            {
                throw Error("expected a member name");
            }

            var key = ReadString();
            SkipWhitespace();
            if (!TryConsume(':'))
            {
                throw Error("expected ':'");
            }

            SkipWhitespace();
            result.Members.Add(new KeyValuePair<string, object?>(key, ReadValue(depth + 1)));
            SkipWhitespace();
            if (TryConsume(','))
            {
                continue;
            }

            if (TryConsume('}'))
            {
                return result;
            }

            throw Error("expected ',' or '}'");
        }
    }

    private List<object?> ReadArray(int depth)
    {
        var result = new List<object?>();
        _position++;
        SkipWhitespace();
        if (TryConsume(']'))
        {
            return result;
        }

        while (true)
        {
            SkipWhitespace();
            result.Add(ReadValue(depth + 1));
            SkipWhitespace();
            if (TryConsume(','))
            {
                continue;
            }

            if (TryConsume(']'))
            {
                return result;
            }

            throw Error("expected ',' or ']'");
        }
    }

    private string ReadString()
    {
        _position++;
        var builder = new StringBuilder();
        var runStart = _position;
        while (true)
        {
            if (_position >= _text.Length)
            {
                throw Error("unterminated string");
            }

            var c = _text[_position];
            if (c == '"')
            {
                builder.Append(_text, runStart, _position - runStart);
                _position++;
                return builder.ToString();
            }

            if (c == '\\')
            {
                builder.Append(_text, runStart, _position - runStart);
                _position++;
                if (_position >= _text.Length)
                {
                    throw Error("unterminated string");
                }

                var escaped = _text[_position++];
                switch (escaped)
                {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        if (_position + 4 > _text.Length
                            || !int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        {
                            throw Error("invalid \\u escape");
                        }

                        builder.Append((char)code);
                        _position += 4;
                        break;
                    default:
                        throw Error("invalid escape");
                }

                runStart = _position;
                continue;
            }

            if (c < ' ')
            {
                throw Error("control character in a string");
            }

            _position++;
        }
    }

    private JsonNumber ReadNumber()
    {
        var start = _position;
        while (_position < _text.Length && (char.IsDigit(_text[_position]) || _text[_position] is '-' or '+' or '.' or 'e' or 'E'))
        {
            _position++;
        }

        if (_position == start)
        {
            throw Error("unexpected character");
        }

        return new JsonNumber(_text.Substring(start, _position - start));
    }

    private void ReadLiteral(string literal)
    {
        if (string.CompareOrdinal(_text, _position, literal, 0, literal.Length) != 0)
        {
            throw Error("unexpected character");
        }

        _position += literal.Length;
    }

    private bool TryConsume(char c)
    {
        if (_position < _text.Length && _text[_position] == c)
        {
            _position++;
            return true;
        }

        return false;
    }

    private void SkipWhitespace()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\r' or '\n')
        {
            _position++;
        }
    }

    private ImageArchiveException Error(string what) =>
        new($"{_documentName} is not valid JSON: {what} at character {_position}");
}
