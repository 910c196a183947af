using System.Globalization;
using BuildSecrets.MSBuild.Docker;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// Remembers what the client and its engine are (<see cref="DockerClientInfo"/>) for ten minutes,
/// under obj/, so that a build does not start three client processes to ask again. The record is
/// taken only under the same <see cref="EngineFingerprint"/>, so a change of client, engine
/// variable, context or socket asks again; within the limit, only what no file shows (a remote
/// engine upgraded) can go unnoticed, and only until the limit.
/// </summary>
internal sealed class EngineRecord(string path, string key, Func<DateTime> utcNow)
{
    /// <summary>How long a probe's answer is trusted.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>The record beside the image id file (obj/.../engine), keyed for this client and environment.</summary>
    public static EngineRecord For(string imageIdFile, DockerClient client, ImageBuildOptions options) =>
        new(BuildRecords.PathOf(imageIdFile, "engine"), EngineFingerprint.Of(client.Executable, options.GetEnvironmentVariable, options.Windows), options.UtcNow);

    public string Path => path;

    /// <summary>What the last probe found, when its record has this key and is younger than the limit; null otherwise (none, another key, expired, unreadable).</summary>
    public DockerClientInfo? Read()
    {
        var fields = BuildRecords.ReadFields(path)?.GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        if (fields is null
            || !fields.TryGetValue("key", out var recordedKey) || recordedKey != key
            || !fields.TryGetValue("written", out var writtenText)
            || !DateTime.TryParseExact(writtenText, "o", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var written)
            || !fields.TryGetValue("client", out var clientVersion))
        {
            return null;
        }

        var age = utcNow() - written.ToUniversalTime();
        if (age < TimeSpan.Zero || age >= Lifetime)
        {
            return null;
        }

        return new DockerClientInfo(clientVersion, fields.TryGetValue("server", out var server) ? server : null, fields.TryGetValue("hasBuildx", out var hasBuildx) && hasBuildx == "true")
        {
            BuildxVersion = fields.TryGetValue("buildx", out var buildx) ? buildx : null,
            IsPodman = fields.TryGetValue("podman", out var podman) && podman == "true",
        };
    }

    /// <summary>Records a successful probe's answer (a failed one throws before, and is asked again next time).</summary>
    public void Write(DockerClientInfo info)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("key", key),
            new("written", utcNow().ToUniversalTime().ToString("o", CultureInfo.InvariantCulture)),
            new("client", info.ClientVersion),
            new("hasBuildx", info.HasBuildx ? "true" : "false"),
            new("podman", info.IsPodman ? "true" : "false"),
        };
        if (info.ServerVersion is not null)
        {
            fields.Add(new("server", info.ServerVersion));
        }

        if (info.BuildxVersion is not null)
        {
            fields.Add(new("buildx", info.BuildxVersion));
        }

        BuildRecords.WriteFields(path, fields);
    }
}
