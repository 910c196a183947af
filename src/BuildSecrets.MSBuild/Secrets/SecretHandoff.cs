using System.Globalization;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>How the client reads one secret: <c>--secret id=ID,src=FILE</c> or <c>--secret id=ID,env=VARIABLE</c>.</summary>
internal enum SecretReferenceKind
{
    File,
    Variable,
}

/// <summary>One <c>--secret</c> of the build: the id and where the client reads it. Never a value.</summary>
internal sealed record SecretReference(string Id, SecretReferenceKind Kind, string Target);

/// <summary>
/// Hands the secrets to the client without a value ever reaching its command line. A source the
/// client can read itself is named as it is (a file, or a variable of the build's environment the
/// client inherits). Any other value goes into a variable of the client's own environment
/// (BUILDSECRETS_SECRET_n), or, for a client that reads secrets from files only (Podman), into a
/// 0600 file of a private temporary folder that <see cref="Dispose"/> removes.
/// </summary>
internal sealed class SecretHandoff : IDisposable
{
    /// <summary>The prefix of the client's variables that carry values: BUILDSECRETS_SECRET_0, _1, ...</summary>
    public const string ChildVariablePrefix = "BUILDSECRETS_SECRET_";

    private readonly TemporarySecretFolder? _folder;

    private SecretHandoff(IReadOnlyList<SecretReference> references, IReadOnlyDictionary<string, string> childEnvironment, TemporarySecretFolder? folder)
    {
        References = references;
        ChildEnvironment = childEnvironment;
        _folder = folder;
    }

    public IReadOnlyList<SecretReference> References { get; }

    /// <summary>Variables to set in the client's environment (they carry values: never log them).</summary>
    public IReadOnlyDictionary<string, string> ChildEnvironment { get; }

    /// <param name="values">The value of each secret that has one, by id.</param>
    /// <param name="clientReadsEnvironment">False for a client that reads secrets from files only.</param>
    public static SecretHandoff Create(IReadOnlyList<DeclaredSecret> secrets, IReadOnlyDictionary<string, byte[]> values, bool clientReadsEnvironment)
    {
        var references = new List<SecretReference>();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        TemporarySecretFolder? folder = null;
        try
        {
            foreach (var secret in secrets)
            {
                if (secret.Source.File is { } file)
                {
                    references.Add(new SecretReference(secret.Id, SecretReferenceKind.File, file));
                }
                else if (clientReadsEnvironment && secret.Source.BuildVariable is { } variable)
                {
                    references.Add(new SecretReference(secret.Id, SecretReferenceKind.Variable, variable));
                }
                else if (clientReadsEnvironment)
                {
                    var child = ChildVariablePrefix + environment.Count.ToString(CultureInfo.InvariantCulture);
                    // Values that reach this point came from text (a variable, a user secret, a Value): UTF-8 gives them back whole.
                    environment[child] = System.Text.Encoding.UTF8.GetString(Value(values, secret.Id));
                    references.Add(new SecretReference(secret.Id, SecretReferenceKind.Variable, child));
                }
                else
                {
                    folder ??= TemporarySecretFolder.Create();
                    references.Add(new SecretReference(secret.Id, SecretReferenceKind.File, folder.Write(secret.Id, Value(values, secret.Id))));
                }
            }

            return new SecretHandoff(references, environment, folder);
        }
        catch
        {
            folder?.Dispose();
            throw;
        }
    }

    public void Dispose() => _folder?.Dispose();

    private static byte[] Value(IReadOnlyDictionary<string, byte[]> values, string id) => values.TryGetValue(id, out var value) ? value : [];
}
