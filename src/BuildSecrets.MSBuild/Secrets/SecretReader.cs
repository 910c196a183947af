
namespace BuildSecrets.MSBuild.Secrets;

/// <summary>Stage 2 of a build, read the secrets: each declared secret's value from its source.</summary>
internal static class SecretReader
{
    /// <summary>The value of every secret that has one, by id (empty values are left out).</summary>
    public static IReadOnlyDictionary<string, byte[]> ReadAll(IEnumerable<DeclaredSecret> secrets)
    {
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var secret in secrets)
        {
            if (secret.Source.Read() is { Length: > 0 } value)
            {
                values.Add(secret.Id, value);
            }
        }

        return values;
    }
}
