using System.Text;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.Dockerfiles;

/// <summary>A Dockerfile that cannot be read; the message names the line and the problem, never more than the instruction.</summary>
internal sealed class DockerfileParseException : Exception
{
    public DockerfileParseException(string message, int line)
        : base(message)
    {
        Line = line;
    }

    public int Line { get; }
}

/// <summary>
/// Reads Dockerfiles as BuildKit does where it matters for secrets: parser directives (escape),
/// comments, line continuations, heredocs, stages, RUN mount flags in any order, ARG and ENV.
/// </summary>
internal static class DockerfileReader
{
    private static readonly Regex Directive = new(@"^#\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", RegexOptions.CultureInvariant);
    private static readonly Regex HeredocMarker = new(@"<<(-?)\s*(?:""([^""]+)""|'([^']+)'|([A-Za-z0-9_.]+))", RegexOptions.CultureInvariant);
    private static readonly string[] HeredocKeywords = ["RUN", "COPY", "ADD"];

    private const int MaxTextLength = 200;

    /// <summary>The names BuildKit accepts for a mount's target, in its order of preference.</summary>
    private static readonly string[] TargetOptions = ["target", "dst", "destination"];

    public static ParsedDockerfile Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var escape = '\\';
        string? syntax = null;
        var index = 0;

        // Parser directives: only at the very top, before any comment, blank line or instruction.
        while (index < lines.Length && Directive.Match(lines[index]) is { Success: true } directive)
        {
            if (string.Equals(directive.Groups[1].Value, "escape", StringComparison.OrdinalIgnoreCase))
            {
                var value = directive.Groups[2].Value;
                if (value != "\\" && value != "`")
                {
                    throw new DockerfileParseException($"the escape directive must be '\\' or '`', not '{value}'", index + 1);
                }

                escape = value[0];
            }
            else if (string.Equals(directive.Groups[1].Value, "syntax", StringComparison.OrdinalIgnoreCase))
            {
                syntax = directive.Groups[2].Value;
            }

            index++;
        }

        var instructions = new List<DockerfileInstruction>();
        var stages = new List<DockerfileStage>();
        var mounts = new List<SecretMount>();
        var bindMounts = new List<BindMount>();
        var variables = new List<VariableDeclaration>();
        while (index < lines.Length)
        {
            if (IsBlankOrComment(lines[index]))
            {
                index++;
                continue;
            }

            var start = index + 1;
            var logical = new StringBuilder();
            while (true)
            {
                var line = lines[index++].TrimEnd();
                if (line.Length > 0 && line[line.Length - 1] == escape)
                {
                    logical.Append(line, 0, line.Length - 1).Append(' ');
                    while (index < lines.Length && IsBlankOrComment(lines[index]))
                    {
                        index++;
                    }

                    if (index < lines.Length)
                    {
                        continue;
                    }
                }
                else
                {
                    logical.Append(line);
                }

                break;
            }

            var content = logical.ToString().Trim();
            var space = IndexOfWhitespace(content);
            var keyword = (space < 0 ? content : content.Substring(0, space)).ToUpperInvariant();
            var rest = space < 0 ? string.Empty : content.Substring(space).Trim();
            var flags = new List<string>();
            while (rest.StartsWith("--", StringComparison.Ordinal))
            {
                var end = EndOfToken(rest);
                flags.Add(rest.Substring(0, end));
                rest = rest.Substring(end).TrimStart();
            }

            // Heredoc bodies are skipped: the instruction's own line is what the checks read.
            if (HeredocKeywords.Contains(keyword))
            {
                foreach (Match marker in HeredocMarker.Matches(rest))
                {
                    var word = marker.Groups[2].Success ? marker.Groups[2].Value : marker.Groups[3].Success ? marker.Groups[3].Value : marker.Groups[4].Value;
                    var stripTabs = marker.Groups[1].Value == "-";
                    var closed = false;
                    while (index < lines.Length)
                    {
                        var line = lines[index++];
                        if ((stripTabs ? line.TrimStart('\t') : line) == word)
                        {
                            closed = true;
                            break;
                        }
                    }

                    if (!closed)
                    {
                        throw new DockerfileParseException($"the heredoc '<<{word}' of '{Shorten(content)}' is never closed", start);
                    }
                }
            }

            var shortened = Shorten(content);
            if (keyword == "FROM")
            {
                stages.Add(ParseFrom(rest, stages.Count, start, shortened));
            }

            instructions.Add(new DockerfileInstruction(keyword, rest, start) { Flags = flags });

            if (keyword == "RUN")
            {
                foreach (var flag in flags.Where(f => f.StartsWith("--mount=", StringComparison.Ordinal)))
                {
                    var options = MountOptions(flag.Substring("--mount=".Length), start, shortened);
                    if (SecretMountOf(options, start, shortened) is { } mount)
                    {
                        mounts.Add(mount);
                    }
                    else if (BindMountOf(options, start) is { } bind)
                    {
                        bindMounts.Add(bind);
                    }
                }
            }
            else if (keyword is "ARG" or "ENV")
            {
                foreach (var (name, value) in Declarations(rest, legacyEnv: keyword == "ENV"))
                {
                    variables.Add(new VariableDeclaration(keyword, name, value, start));
                }
            }
        }

        return new ParsedDockerfile { Syntax = syntax, Instructions = instructions, Stages = stages, SecretMounts = mounts, BindMounts = bindMounts, Variables = variables };
    }

    /// <summary>
    /// Whether a variable name looks like it holds a credential, by the rule of BuildKit's
    /// SecretsUsedInArgOrEnv check: the name, split at '_' and read without regard to case, has a
    /// part that is apikey, auth, credential, credentials, key, password, pword, passwd, secret or
    /// token, and no part that is public, file or version (PUBLIC_KEY, KEY_FILE and TOKEN_VERSION
    /// name no secret).
    /// </summary>
    public static bool LooksLikeCredential(string name)
    {
        var parts = name.ToLowerInvariant().Split('_');
        string[] deny = ["apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"];
        string[] allow = ["public", "file", "version"];
        return parts.Any(p => deny.Contains(p)) && !parts.Any(p => allow.Contains(p));
    }

    /// <summary><c>NAME=value</c> pairs (quotes removed), or for the legacy <c>ENV NAME value</c> form one pair.</summary>
    internal static IEnumerable<(string Name, string? Value)> Declarations(string arguments, bool legacyEnv)
    {
        var tokens = Tokens(arguments).ToList();
        if (legacyEnv && tokens.Count > 0 && tokens[0].IndexOf('=') < 0)
        {
            var space = IndexOfWhitespace(arguments);
            yield return (tokens[0], space < 0 ? string.Empty : Unquote(arguments.Substring(space).Trim()));
            yield break;
        }

        foreach (var token in tokens)
        {
            var equals = token.IndexOf('=');
            yield return equals < 0 ? (token, null) : (token.Substring(0, equals), Unquote(token.Substring(equals + 1)));
        }
    }

    /// <summary>Replaces $NAME, ${NAME} and ${NAME:-default} with the given values.</summary>
    internal static string Substitute(string text, IReadOnlyDictionary<string, string> values) =>
        Regex.Replace(text, @"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)", match =>
        {
            var name = match.Groups[1].Success ? match.Groups[1].Value : match.Groups[3].Value;
            if (values.TryGetValue(name, out var value) && value.Length > 0)
            {
                return value;
            }

            return match.Groups[2].Success ? match.Groups[2].Value : value ?? match.Value;
        });

    private static DockerfileStage ParseFrom(string arguments, int index, int line, string text)
    {
        var tokens = Tokens(arguments).ToList();
        if (tokens.Count == 0)
        {
            throw new DockerfileParseException($"'{text}' names no image", line);
        }

        var name = tokens.Count >= 3 && string.Equals(tokens[1], "AS", StringComparison.OrdinalIgnoreCase) ? tokens[2] : null;
        return new DockerfileStage(index, tokens[0], name, line);
    }

    /// <summary>A mount's options by name (a name without '=' has a null value).</summary>
    private static Dictionary<string, string?> MountOptions(string value, int line, string text)
    {
        var options = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in CsvFields(value, line, text))
        {
            var equals = field.IndexOf('=');
            if (equals < 0)
            {
                options[field.Trim()] = null;
            }
            else
            {
                options[field.Substring(0, equals).Trim()] = field.Substring(equals + 1);
            }
        }

        return options;
    }

    private static SecretMount? SecretMountOf(Dictionary<string, string?> options, int line, string text)
    {
        if (!options.TryGetValue("type", out var type) || !string.Equals(type, "secret", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        options.TryGetValue("id", out var id);
        var target = TargetOptions.Select(k => options.TryGetValue(k, out var t) ? t : null).FirstOrDefault(t => !string.IsNullOrEmpty(t));
        if (string.IsNullOrEmpty(id))
        {
            if (string.IsNullOrEmpty(target))
            {
                throw new DockerfileParseException($"the secret mount of '{text}' has neither id nor target", line);
            }

            id = target!.TrimEnd('/').Split('/').Last();
        }

        var required = options.TryGetValue("required", out var requiredText)
            && (requiredText is null || string.Equals(requiredText, "true", StringComparison.OrdinalIgnoreCase));
        return new SecretMount(id!, target ?? "/run/secrets/" + id, required, line);
    }

    /// <summary>A bind mount (BuildKit's default type), with its source ('source' or 'src') and the stage or image it comes from.</summary>
    private static BindMount? BindMountOf(Dictionary<string, string?> options, int line)
    {
        options.TryGetValue("type", out var type);
        if (type is not null && type.Contains("$"))
        {
            // A type that is a variable may be bind: the whole context, never less.
            return new BindMount(null, null, line);
        }

        if (type is not null && !string.Equals(type, "bind", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var source = options.TryGetValue("source", out var s) ? s : options.TryGetValue("src", out var src) ? src : null;
        options.TryGetValue("from", out var from);
        return new BindMount(source, string.IsNullOrEmpty(from) ? null : from, line);
    }

    /// <summary>The fields of a CSV record ('"' quotes, '""' for a quote inside).</summary>
    private static IEnumerable<string> CsvFields(string record, int line, string text)
    {
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < record.Length; i++)
        {
            var c = record[i];
            if (c == '"')
            {
                if (quoted && i + 1 < record.Length && record[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = !quoted;
                }
            }
            else if (c == ',' && !quoted)
            {
                yield return field.ToString();
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            throw new DockerfileParseException($"a quote in the mount options of '{text}' is never closed", line);
        }

        yield return field.ToString();
    }

    /// <summary>Whitespace-separated tokens; quoted parts keep their spaces (the quotes stay, for Unquote).</summary>
    private static IEnumerable<string> Tokens(string text)
    {
        var rest = text.Trim();
        while (rest.Length > 0)
        {
            var end = EndOfToken(rest);
            yield return rest.Substring(0, end);
            rest = rest.Substring(end).TrimStart();
        }
    }

    private static int EndOfToken(string text)
    {
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is null && char.IsWhiteSpace(c))
            {
                return i;
            }

            if (c == '"' || c == '\'')
            {
                quote = quote == c ? null : quote ?? c;
            }
        }

        return text.Length;
    }

    private static string Unquote(string text)
    {
        var result = new StringBuilder(text.Length);
        char? quote = null;
        foreach (var c in text)
        {
            if ((c == '"' || c == '\'') && (quote is null || quote == c))
            {
                quote = quote is null ? c : null;
                continue;
            }

            result.Append(c);
        }

        return result.ToString();
    }

    private static bool IsBlankOrComment(string line)
    {
        var trimmed = line.Trim();
        return trimmed.Length == 0 || trimmed[0] == '#';
    }

    private static int IndexOfWhitespace(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Shorten(string text) => text.Length <= MaxTextLength ? text : text.Substring(0, MaxTextLength) + "...";
}
