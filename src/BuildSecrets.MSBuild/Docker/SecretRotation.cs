using System.IO;
using System.Security.Cryptography;
using System.Text;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Docker;

/// <summary>
/// Makes the steps that mount a secret re-run when its content changes. BuildKit does not look at
/// a secret's content when it decides a step is cached, so a rotated credential would not reach a
/// cached step. For a secret with Rotate="true" the build gets an argument
/// BUILDSECRETS_&lt;ID&gt;_VERSION whose value is an HMAC-SHA256 of the secret under a random key kept
/// per user (0600 file in a 0700 folder): it changes when the secret changes, and without the key
/// it tells nothing about the secret, not even whether two images share one.
/// </summary>
internal sealed class SecretRotation
{
    private const int KeyLength = 32;

    private readonly string _keyFile;
    private byte[]? _key;

    public SecretRotation(string keyFile)
    {
        _keyFile = keyFile;
    }

    /// <summary>The per-user key file: $HOME/.buildsecrets/rotation.key, %LOCALAPPDATA%\BuildSecrets\rotation.key on Windows.</summary>
    public static string DefaultKeyFile(Func<string, string?> getEnvironmentVariable, bool windows) => windows
        ? Path.Combine(getEnvironmentVariable("LOCALAPPDATA") ?? string.Empty, "BuildSecrets", "rotation.key")
        : Path.Combine(getEnvironmentVariable("HOME") ?? string.Empty, ".buildsecrets", "rotation.key");

    /// <summary>The rotation for the user running the build, or null when there is no home folder to keep the key in.</summary>
    public static SecretRotation? ForUser(Func<string, string?> getEnvironmentVariable, bool windows) =>
        string.IsNullOrEmpty(getEnvironmentVariable(windows ? "LOCALAPPDATA" : "HOME"))
            ? null
            : new SecretRotation(DefaultKeyFile(getEnvironmentVariable, windows));

    /// <summary>The build argument that carries a secret's version: BUILDSECRETS_&lt;ID in upper case, other characters as _&gt;_VERSION.</summary>
    public static string ArgumentName(string secretId)
    {
        var name = new StringBuilder("BUILDSECRETS_");
        foreach (var c in secretId.ToUpperInvariant())
        {
            name.Append(c is >= 'A' and <= 'Z' or >= '0' and <= '9' ? c : '_');
        }

        return name.Append("_VERSION").ToString();
    }

    /// <summary>The version of a secret's value: the first 32 hex digits of its HMAC-SHA256 under the per-user key.</summary>
    public string Version(byte[] value)
    {
        // Read once per instance: a build asks for the versions of several secrets.
        using var hmac = new HMACSHA256(_key ??= LoadOrCreateKey());
        var hash = hmac.ComputeHash(value);
        return Hex.Of(hash, 16);
    }

    /// <summary>
    /// A keyed fingerprint of a set of secrets (their ids and values) and of what else the caller
    /// names in <paramref name="context"/> (such as the scanner's version): HMAC-SHA256 under the
    /// per-user key, 64 hex digits. Records under obj/ keep it, never the values nor a plain hash of them.
    /// </summary>
    public string Fingerprint(IReadOnlyDictionary<string, byte[]> values, string context)
    {
        using var hmac = new HMACSHA256(_key ??= LoadOrCreateKey());
        using var data = new MemoryStream();
        void Add(byte[] bytes)
        {
            data.Write(BitConverter.GetBytes((long)bytes.Length), 0, 8);
            data.Write(bytes, 0, bytes.Length);
        }

        Add(Encoding.UTF8.GetBytes(context));
        foreach (var value in values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            Add(Encoding.UTF8.GetBytes(value.Key));
            Add(value.Value);
        }

        return Hex.Of(hmac.ComputeHash(data.ToArray()));
    }

    private byte[] LoadOrCreateKey()
    {
        if (File.Exists(_keyFile))
        {
            var existing = File.ReadAllBytes(_keyFile);
            if (existing.Length == KeyLength)
            {
                return existing;
            }
        }

        PrivateFiles.CreateFolder(Path.GetDirectoryName(_keyFile)!);
        var key = new byte[KeyLength];
        using (var random = RandomNumberGenerator.Create())
        {
            random.GetBytes(key);
        }

        PrivateFiles.Write(_keyFile, key, replace: true);
        return key;
    }
}
