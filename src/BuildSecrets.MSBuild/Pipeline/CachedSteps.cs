using System.Text.RegularExpressions;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// BuildKit does not look at a mounted secret's content when it takes a step from its cache, so a
/// step that copied an earlier value keeps it, and the scan searches only for today's. This keeps,
/// under obj/, the keyed version (<see cref="SecretRotation"/>) of each secret of the last proven
/// build, and warns about cached steps that mount a secret which changed since, or whose last value
/// is not known.
/// </summary>
internal sealed class CachedSteps(string recordFile, SecretRotation? rotation)
{
    private static readonly Regex MountedSecret = new(@"--mount=\S*type=secret\S*", RegexOptions.CultureInvariant);
    private static readonly Regex SecretId = new(@"(?:^|[=,])id=(?<id>[^,\s]+)", RegexOptions.CultureInvariant);

    /// <summary>For a build: the record beside the image id file (obj/.../buildsecrets/secret-versions), versions keyed by the per-user key; without a home folder for the key, versions are not known.</summary>
    public static CachedSteps For(string imageIdFile, SecretRotation? rotation) =>
        new(BuildRecords.PathOf(imageIdFile, "secret-versions"), rotation);

    /// <summary>One warning per cached step that mounts a secret (not rotated) whose value may differ from the one the step ran with.</summary>
    public IReadOnlyList<Diagnostic> Check(IEnumerable<string> cachedSteps, IReadOnlyList<DeclaredSecret> secrets, IReadOnlyDictionary<string, byte[]> values)
    {
        var recorded = Read();
        var found = new List<Diagnostic>();
        foreach (var step in cachedSteps)
        {
            foreach (Match mount in MountedSecret.Matches(step))
            {
                var id = SecretId.Match(mount.Value).Groups["id"].Value;
                var secret = secrets.FirstOrDefault(s => s.Id == id);
                if (secret is null || secret.Rotate || !values.TryGetValue(id, out var value))
                {
                    continue;
                }

                if (rotation is null || !recorded.TryGetValue(id, out var version) || version != rotation.Version(value))
                {
                    found.Add(Messages.CachedStepWithEarlierSecret(id, step, rotation is not null && recorded.ContainsKey(id)));
                }
            }
        }

        return found;
    }

    /// <summary>Records the versions of the secrets of a proven build (keyed hashes, never values).</summary>
    public void Record(IReadOnlyDictionary<string, byte[]> values)
    {
        if (rotation is null || values.Count == 0)
        {
            return;
        }

        // Ids and versions are plain names and hex: the fields read back as written.
        BuildRecords.WriteFields(recordFile, values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => new KeyValuePair<string, string>(v.Key, rotation.Version(v.Value))));
    }

    /// <summary>The recorded version of each secret; none when there is no record (or it cannot be read: every cached step is then warned about).</summary>
    private Dictionary<string, string> Read()
    {
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in BuildRecords.ReadFields(recordFile) ?? [])
        {
            recorded[field.Key] = field.Value;
        }

        return recorded;
    }
}
