using System.IO;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>
/// The project's .NET user secrets: the secrets.json that 'dotnet user-secrets' writes for the
/// project's UserSecretsId (%APPDATA%\Microsoft\UserSecrets\&lt;id&gt;\ on Windows,
/// ~/.microsoft/usersecrets/&lt;id&gt;/ elsewhere). Keys are read as .NET configuration reads them:
/// "Section:Key" names a nested value or a flat key, without regard to case.
/// </summary>
internal sealed class UserSecrets
{
    private readonly string? _userSecretsId;
    private readonly Func<string, string?> _getEnvironmentVariable;
    private readonly bool _windows;
    private Dictionary<string, string>? _values;

    public UserSecrets(string? userSecretsId, Func<string, string?> getEnvironmentVariable, bool windows)
    {
        _userSecretsId = string.IsNullOrWhiteSpace(userSecretsId) ? null : userSecretsId!.Trim();
        _getEnvironmentVariable = getEnvironmentVariable;
        _windows = windows;
    }

    /// <summary>The secrets.json of the project, or null without a UserSecretsId.</summary>
    public string? FilePath => _userSecretsId is null
        ? null
        : _windows
            ? Path.Combine(_getEnvironmentVariable("APPDATA") ?? string.Empty, "Microsoft", "UserSecrets", _userSecretsId, "secrets.json")
            : Path.Combine(_getEnvironmentVariable("HOME") ?? string.Empty, ".microsoft", "usersecrets", _userSecretsId, "secrets.json");

    /// <summary>The value of <paramref name="key"/>, or the coded problem that keeps it from being read.</summary>
    public (string? Value, Diagnostic? Problem, bool Absent) Lookup(string id, string key)
    {
        if (FilePath is not { } path)
        {
            return (null, Messages.UserSecretsIdMissing(id), false);
        }

        if (!File.Exists(path))
        {
            return (null, Messages.UserSecretsFileMissing(id, path), true);
        }

        if (_values is null)
        {
            try
            {
                _values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                Flatten(Json.Parse(File.ReadAllText(path)), null, _values);
            }
            catch (JsonFormatException)
            {
                _values = null;
                return (null, Messages.UserSecretsFileInvalid(id, path), false);
            }
        }

        return _values.TryGetValue(key, out var value)
            ? (value, null, false)
            : (null, Messages.UserSecretKeyMissing(id, key, path), true);
    }

    private static void Flatten(object? node, string? prefix, Dictionary<string, string> values)
    {
        switch (node)
        {
            case Dictionary<string, object?> map:
                foreach (var pair in map)
                {
                    Flatten(pair.Value, prefix is null ? pair.Key : prefix + ":" + pair.Key, values);
                }

                break;
            case List<object?> list:
                for (var i = 0; i < list.Count; i++)
                {
                    Flatten(list[i], prefix + ":" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), values);
                }

                break;
            case string text when prefix is not null:
                values[prefix] = text;
                break;
            case bool flag when prefix is not null:
                values[prefix] = flag ? "true" : "false";
                break;
            case double number when prefix is not null:
                values[prefix] = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
        }
    }
}
