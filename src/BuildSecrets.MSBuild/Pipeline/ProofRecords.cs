using System.Text;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Leaks;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// What earlier builds of the project proved, so that a publish that changed nothing scans nothing,
/// and one that changed a little scans only the new layers. Image ids and layer diff ids are
/// content hashes: an image or a layer proven clean stays clean. A proof holds only for the same
/// secrets and the same scanner, so the record is keyed by a keyed fingerprint of the secrets'
/// values and the task assembly's version (<see cref="SecretRotation.Fingerprint"/>): any change
/// of either starts it afresh. It holds no value nor a plain hash of one.
/// </summary>
internal sealed class ProofRecords
{
    private const string Header = "buildsecrets proof records 1";
    private const int ImagesKept = 32;
    private const int LayersKept = 1024;

    private readonly string? _path;
    private readonly string? _key;
    private readonly List<string> _images = [];
    private readonly List<string> _layers = [];
    private readonly Dictionary<string, string> _entries = new(StringComparer.Ordinal);

    private ProofRecords(string? path, string? key)
    {
        _path = path;
        _key = key;
        if (path is null || BuildRecords.Read(path) is not { } text)
        {
            return;
        }

        var lines = text.Split('\n');
        if (lines.Length < 2 || lines[0] != Header || lines[1] != "key " + key)
        {
            return;
        }

        foreach (var line in lines.Skip(2))
        {
            var fields = line.Split(' ');
            switch (fields[0])
            {
                case "image" when fields.Length == 2:
                    _images.Add(fields[1]);
                    break;
                case "layer" when fields.Length == 2:
                    _layers.Add(fields[1]);
                    break;
                case "entry" when fields.Length == 3:
                    _entries[fields[1]] = fields[2];
                    break;
            }
        }
    }

    /// <summary>No records: every image is scanned whole (but its base image).</summary>
    public static ProofRecords None => new(null, null);

    /// <summary>Where the records are kept; null when they are not (no home folder for the key).</summary>
    public string? Path => _path;

    /// <summary>
    /// The records of a project (obj/.../buildsecrets/proofs) for these secrets and this scanner; without a
    /// per-user key (no home folder) nothing is remembered and every image is scanned.
    /// </summary>
    public static ProofRecords For(string imageIdFile, SecretRotation? rotation, IReadOnlyDictionary<string, byte[]> values, string codeVersion) =>
        rotation is null
            ? new ProofRecords(null, null)
            : new ProofRecords(BuildRecords.PathOf(imageIdFile, "proofs"), rotation.Fingerprint(values, "image-proof " + codeVersion));

    /// <summary>Whether this very image was proven clean of these secrets by this scanner.</summary>
    public bool Proven(string imageId) => _images.Contains(imageId, StringComparer.Ordinal);

    /// <summary>What a scan of an image on these base layers may leave unread.</summary>
    public LayerShortcuts Shortcuts(IReadOnlyList<string> baseLayers) => LayerShortcuts.BaseOnly(baseLayers) with
    {
        CleanLayers = new HashSet<string>(_layers, StringComparer.Ordinal),
        EntryDiffIds = new Dictionary<string, string>(_entries, StringComparer.Ordinal),
    };

    /// <summary>Records what a scan proved: its clean layers, its entries, and the image when it is clean as a whole.</summary>
    public void Record(string? cleanImageId, ScanResult result)
    {
        if (_path is null || !result.ShortcutsHeld)
        {
            return;
        }

        if (cleanImageId is not null)
        {
            Add(_images, [cleanImageId], ImagesKept);
        }

        Add(_layers, result.CleanLayers, LayersKept);
        foreach (var entry in result.EntryDiffIds)
        {
            // Names with spaces never come from docker; they are not worth a format that allows them.
            if (entry.Key.IndexOf(' ') < 0 && entry.Key.IndexOf('\n') < 0)
            {
                _entries[entry.Key] = entry.Value;
            }
        }

        var text = new StringBuilder().Append(Header).Append('\n').Append("key ").Append(_key).Append('\n');
        foreach (var image in _images)
        {
            text.Append("image ").Append(image).Append('\n');
        }

        foreach (var layer in _layers)
        {
            text.Append("layer ").Append(layer).Append('\n');
        }

        foreach (var entry in _entries.Skip(Math.Max(0, _entries.Count - LayersKept)))
        {
            text.Append("entry ").Append(entry.Key).Append(' ').Append(entry.Value).Append('\n');
        }

        BuildRecords.Write(_path, text.ToString());
    }

    /// <summary>Adds to a list kept newest last, without repeats, at most <paramref name="kept"/> long.</summary>
    private static void Add(List<string> list, IEnumerable<string> added, int kept)
    {
        foreach (var item in added)
        {
            list.Remove(item);
            list.Add(item);
        }

        if (list.Count > kept)
        {
            list.RemoveRange(0, list.Count - kept);
        }
    }
}
