using System.Text;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>
/// Docker's classic <c>docker save</c> layout names each layer's folder by a legacy (v1) id, not by
/// the layer's content, and says which layer a folder holds only in manifest.json, at the end of
/// the archive. That id is a SHA-256 of the folder's own <c>json</c> file (which comes before the
/// layer in the archive: the names are sorted) with the layer's chain id put in. Recomputing it for
/// each chain id of the base image tells, before a byte of the layer is read, whether the folder
/// holds a base layer; a match is a SHA-256 match, so a folder is never taken for a base layer it
/// is not. When the engine computes it differently, nothing matches and the layer is read.
/// </summary>
internal static class LegacyLayerIds
{
    /// <summary>The chain id of each base layer (the first layer's is its diff id; each next one is SHA-256 of "parent chain id, space, diff id"), with the diff id it ends in.</summary>
    public static IReadOnlyDictionary<string, string> ChainIds(IReadOnlyList<string> diffIds)
    {
        var chains = new Dictionary<string, string>(StringComparer.Ordinal);
        string? chain = null;
        foreach (var diffId in diffIds)
        {
            chain = chain is null ? diffId : "sha256:" + Hex.Sha256(Encoding.UTF8.GetBytes(chain + " " + diffId));
            chains[chain] = diffId;
        }

        return chains;
    }

    /// <summary>The folder's name when <paramref name="entry"/> is a classic layout's '&lt;64 hex&gt;/json'; otherwise null.</summary>
    public static string? FolderOfJson(string entry) =>
        entry.Length == 64 + "/json".Length && entry.EndsWith("/json", StringComparison.Ordinal) && entry.Take(64).All(IsHex) ? entry.Substring(0, 64) : null;

    /// <summary>The diff id of the base layer that the folder holds, proven by its legacy id; null when it holds none (or the json is not as expected).</summary>
    public static string? BaseLayerOf(string folder, byte[] json, IReadOnlyDictionary<string, string> chainIds)
    {
        if (chainIds.Count == 0 || TopLevelMembers(Encoding.UTF8.GetString(json)) is not { } members)
        {
            return null;
        }

        // The id is computed before the folder's own id, its parent's (written as hex) and its OS
        // are filled in; the parent is given to it as a digest.
        var given = members.Where(m => m.Key is not ("id" or "os" or "parent")).ToList();
        if (members.FirstOrDefault(m => m.Key == "parent") is { Key: not null } parent)
        {
            if (parent.Value.Length != 66 || parent.Value[0] != '"')
            {
                return null;
            }

            given.Add(new("parent", "\"sha256:" + parent.Value.Substring(1)));
        }

        foreach (var chain in chainIds)
        {
            var canonical = given.Concat([new KeyValuePair<string, string>("layer_id", "\"" + chain.Key + "\"")])
                .OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => "\"" + m.Key + "\":" + m.Value);
            if (Hex.Sha256(Encoding.UTF8.GetBytes("{" + string.Join(",", canonical) + "}")) == folder)
            {
                return chain.Value;
            }
        }

        return null;
    }

    /// <summary>The members of a compact JSON object as written (each value's exact text), or null when it is not one.</summary>
    private static List<KeyValuePair<string, string>>? TopLevelMembers(string json)
    {
        var members = new List<KeyValuePair<string, string>>();
        var at = 0;
        if (!Expect(json, ref at, '{'))
        {
            return null;
        }

        while (at < json.Length && json[at] != '}')
        {
            var keyStart = at;
            if (!SkipString(json, ref at) || !Expect(json, ref at, ':'))
            {
                return null;
            }

            var key = json.Substring(keyStart + 1, at - keyStart - 3);
            var valueStart = at;
            if (!SkipValue(json, ref at) || key.Contains("\\"))
            {
                return null;
            }

            members.Add(new(key, json.Substring(valueStart, at - valueStart)));
            if (at < json.Length && json[at] == ',')
            {
                at++;
            }
        }

        return at < json.Length ? members : null;
    }

    private static bool Expect(string json, ref int at, char c)
    {
        if (at >= json.Length || json[at] != c)
        {
            return false;
        }

        at++;
        return true;
    }

    private static bool SkipString(string json, ref int at)
    {
        if (!Expect(json, ref at, '"'))
        {
            return false;
        }

        for (; at < json.Length; at++)
        {
            if (json[at] == '\\')
            {
                at++;
            }
            else if (json[at] == '"')
            {
                at++;
                return true;
            }
        }

        return false;
    }

    /// <summary>Skips one value: a string, or anything up to the ',' or '}' that ends it at its own depth.</summary>
    private static bool SkipValue(string json, ref int at)
    {
        var depth = 0;
        while (at < json.Length)
        {
            switch (json[at])
            {
                case '"':
                    if (!SkipString(json, ref at))
                    {
                        return false;
                    }

                    continue;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']' when depth > 0:
                    depth--;
                    break;
                case ',' or '}' when depth == 0:
                    return true;
            }

            at++;
        }

        return false;
    }

    private static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f';
}
