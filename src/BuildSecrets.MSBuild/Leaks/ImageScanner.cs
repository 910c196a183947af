using System.IO;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>The part of an image a secret was found in.</summary>
internal enum LeakPlace
{
    /// <summary>A file of a layer (or its name).</summary>
    Layer,

    /// <summary>The image config: Env, Labels, Cmd, Entrypoint.</summary>
    Config,

    /// <summary>A history entry's <c>created_by</c>.</summary>
    History,
}

/// <summary>
/// Where a secret was found: a file of a layer (<see cref="Location"/> is its path), a field of the
/// config, or a history entry; <see cref="Step"/> is the step that made the layer or the entry.
/// </summary>
internal sealed record LeakFinding(Needle Needle, LeakPlace Place, string Location, string? Step)
{
    public string SecretId => Needle.SecretId;
}

internal sealed record ScanResult(IReadOnlyList<LeakFinding> Leaks, int LayersScanned, int LayersSkipped, long BytesScanned, string Layout)
{
    /// <summary>The layers left unread because an earlier build proved them clean.</summary>
    public int LayersProvenEarlier { get; init; }

    /// <summary>The diff ids of the layers this scan searched and found clean.</summary>
    public IReadOnlyList<string> CleanLayers { get; init; } = [];

    /// <summary>Which layer each archive entry holds (entry name to diff id), as this archive's manifest says.</summary>
    public IReadOnlyDictionary<string, string> EntryDiffIds { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// False when an entry was left unread because an earlier archive said it held a known layer,
    /// and this archive's manifest says otherwise (or says nothing): the scan proves nothing, and
    /// must be run again without such shortcuts.
    /// </summary>
    public bool ShortcutsHeld { get; init; } = true;
}

/// <summary>
/// The layers a scan need not search: the base image's, the ones an earlier build proved clean
/// for the same secrets, and what earlier archives said their entries hold (an entry named by a
/// classic layout's v1 id is not named by its content: its diff id is known only from a manifest).
/// </summary>
internal sealed record LayerShortcuts(ISet<string> BaseLayers, ISet<string> CleanLayers, IReadOnlyDictionary<string, string> EntryDiffIds)
{
    /// <summary>The base image's layers by chain id, in order (<see cref="LegacyLayerIds"/>): how a classic archive's base layers are told before they are read.</summary>
    public IReadOnlyDictionary<string, string> BaseChainIds { get; init; } = new Dictionary<string, string>();

    public static LayerShortcuts BaseOnly(IReadOnlyList<string> baseLayers) =>
        new(new HashSet<string>(baseLayers, StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal), new Dictionary<string, string>(StringComparer.Ordinal))
        {
            BaseChainIds = LegacyLayerIds.ChainIds(baseLayers),
        };
}

/// <summary>
/// Scans the archive 'docker save' writes, read once from start to end as the client streams it
/// (classic layout: manifest.json and &lt;id&gt;/layer.tar; OCI layout: index.json and blobs/sha256/,
/// with plain or gzip layers) for the declared secrets: every file path and content of the layers
/// added on top of the base image, the image config (Env, Labels, Cmd, Entrypoint) and the history.
/// Layers are streamed in chunks, never held whole: memory stays flat whatever the image's size.
/// </summary>
internal sealed class ImageScanner
{
    private const int ChunkSize = 1 << 20;
    private const long MetadataLimit = 64L << 20;

    private readonly IReadOnlyList<Needle> _needles;
    private readonly ISet<string> _baseLayers;
    private readonly LayerShortcuts _shortcuts;
    private readonly MultiPatternSearch _search;

    public ImageScanner(IReadOnlyList<Needle> needles, ISet<string> baseLayerDiffIds)
        : this(needles, LayerShortcuts.BaseOnly(baseLayerDiffIds.ToArray()))
    {
    }

    public ImageScanner(IReadOnlyList<Needle> needles, LayerShortcuts shortcuts)
    {
        _needles = needles;
        _baseLayers = shortcuts.BaseLayers;
        _shortcuts = shortcuts;
        _search = new MultiPatternSearch(needles.Select(n => n.Bytes).ToArray());
    }

    public ScanResult Scan(Stream archive, CancellationToken cancellationToken)
    {
        var tar = new TarStream(archive);
        var metadata = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var layers = new List<(string Entry, string DiffId, List<LeakFinding> Findings)>();
        var skipped = 0;
        var provenEarlier = 0;
        var assumed = new Dictionary<string, string>(StringComparer.Ordinal);
        var baseByJson = new Dictionary<string, string>(StringComparer.Ordinal);
        long bytes = 0;
        var buffer = new byte[ChunkSize];

        while (tar.MoveNext())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (tar.Kind != TarEntryKind.File)
            {
                continue;
            }

            var name = tar.Name;
            var isBlob = name.StartsWith("blobs/sha256/", StringComparison.Ordinal);
            if (LegacyLayerIds.FolderOfJson(name) is { } folder && _shortcuts.BaseChainIds.Count > 0 && tar.Size <= MetadataLimit)
            {
                // A classic layout's layer folder: its json tells whether the layer that follows is a base layer.
                if (LegacyLayerIds.BaseLayerOf(folder, tar.ReadAll(MetadataLimit), _shortcuts.BaseChainIds) is { } baseDiffId)
                {
                    baseByJson[folder + "/layer.tar"] = baseDiffId;
                }

                continue;
            }

            if (!isBlob && !name.EndsWith(".tar", StringComparison.Ordinal))
            {
                if (name.EndsWith(".json", StringComparison.Ordinal) && tar.Size <= MetadataLimit)
                {
                    metadata[name] = tar.ReadAll(MetadataLimit);
                }

                continue;
            }

            // An uncompressed OCI blob, or a Podman '<diff id>.tar', is named by its diff id; other
            // entries are known from earlier archives. A base layer or a layer proven clean is left
            // unread: its bytes are passed over, never decompressed nor searched.
            var namedDiffId = NamedDiffId(name);
            var knownDiffId = namedDiffId is not null && IsShortcut(namedDiffId) ? namedDiffId
                : baseByJson.TryGetValue(name, out var proven) ? proven
                : _shortcuts.EntryDiffIds.TryGetValue(name, out var recorded) ? recorded : null;
            if (knownDiffId is not null && IsShortcut(knownDiffId))
            {
                if (knownDiffId != namedDiffId)
                {
                    assumed[name] = knownDiffId;
                }

                if (_baseLayers.Contains(knownDiffId))
                {
                    skipped++;
                }
                else
                {
                    provenEarlier++;
                }

                continue;
            }

            var first = new byte[Math.Min(tar.Size, 4096)];
            var firstLength = ReadAtLeast(tar, first);
            var entry = new PrefixedStream(first, firstLength, tar);
            if (firstLength >= 4 && first[0] == 0x28 && first[1] == 0xb5 && first[2] == 0x2f && first[3] == 0xfd)
            {
                // System.IO.Compression has no zstd on net472 nor net8.0: such a layer cannot be proven clean.
                throw new UnsupportedLayerException(name, "zstd");
            }

            if (firstLength >= 2 && first[0] == 0x1f && first[1] == 0x8b)
            {
                using var gzip = new GZipStream(entry, CompressionMode.Decompress);
                layers.Add(ScanLayer(name, gzip, buffer, ref bytes, cancellationToken));
            }
            else if (isBlob && LooksLikeJson(first, firstLength))
            {
                if (tar.Size <= MetadataLimit)
                {
                    var all = new MemoryStream();
                    entry.CopyTo(all);
                    metadata[name] = all.ToArray();
                }
            }
            else
            {
                layers.Add(ScanLayer(name, entry, buffer, ref bytes, cancellationToken));
            }
        }

        var (config, layout, configName) = FindConfig(metadata);
        var entryDiffIds = EntryDiffIds(metadata, config);
        foreach (var layer in layers)
        {
            entryDiffIds[layer.Entry] = layer.DiffId;
        }

        var configs = ImageConfigs(metadata, config, configName);
        var steps = configs.SelectMany(StepsByDiffId).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        var leaks = new List<LeakFinding>();
        var clean = new List<string>();
        var scanned = 0;
        foreach (var (_, diffId, findings) in layers)
        {
            if (_baseLayers.Contains(diffId))
            {
                skipped++;
                continue;
            }

            scanned++;
            steps.TryGetValue(diffId, out var step);
            leaks.AddRange(findings.Select(f => f with { Step = step }));
            if (findings.Count == 0)
            {
                clean.Add(diffId);
            }
        }

        leaks.AddRange(configs.SelectMany(ScanConfig).GroupBy(l => (l.SecretId, l.Place, l.Location)).Select(g => g.First()));
        return new ScanResult(leaks, scanned, skipped, bytes, layout)
        {
            LayersProvenEarlier = provenEarlier,
            CleanLayers = clean,
            EntryDiffIds = entryDiffIds,
            ShortcutsHeld = assumed.All(a => entryDiffIds.TryGetValue(a.Key, out var said) && said == a.Value),
        };
    }

    private bool IsShortcut(string diffId) => _baseLayers.Contains(diffId) || _shortcuts.CleanLayers.Contains(diffId);

    /// <summary>
    /// Which layer each entry of the archive holds, as its manifest says: manifest.json's Layers
    /// (classic and Docker's OCI layout) or the OCI image manifest's layers, in the order of the
    /// config's diff ids.
    /// </summary>
    private static Dictionary<string, string> EntryDiffIds(Dictionary<string, byte[]> metadata, object? config)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var diffIds = Json.Array(Json.Object(config, "rootfs"), "diff_ids").OfType<string>().ToArray();
        string[] entries = [];
        if (metadata.TryGetValue("manifest.json", out var manifestJson) && Json.Parse(Encoding.UTF8.GetString(manifestJson)) is List<object?> { Count: > 0 } manifest)
        {
            entries = Json.Array(manifest[0], "Layers").OfType<string>().ToArray();
        }
        else
        {
            var imageManifest = metadata.Where(m => m.Key.StartsWith("blobs/", StringComparison.Ordinal))
                .Select(m => Json.Parse(Encoding.UTF8.GetString(m.Value)))
                .FirstOrDefault(d => Json.Object(d, "config") is not null && Json.Array(d, "layers").Count == diffIds.Length);
            entries = Json.Array(imageManifest, "layers").Select(l => Json.String(l, "digest")).OfType<string>().Select(BlobName).ToArray();
        }

        for (var i = 0; i < entries.Length && i < diffIds.Length; i++)
        {
            map[entries[i]] = diffIds[i];
        }

        return map;
    }

    /// <summary>Scans one layer tar: every entry's path and content; returns the layer's diff id (sha256 of the tar) and what was found.</summary>
    private (string Entry, string DiffId, List<LeakFinding> Findings) ScanLayer(string entry, Stream layer, byte[] buffer, ref long bytes, CancellationToken cancellationToken)
    {
        var findings = new List<LeakFinding>();
        using var sha = SHA256.Create();
        var hashing = new HashingStream(layer, sha);
        var tar = new TarStream(hashing);
        var cursor = _search.Start();
        while (tar.MoveNext())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = "/" + tar.Name.TrimStart('.', '/');
            cursor.Reset();
            var pathBytes = Encoding.UTF8.GetBytes(tar.Name);
            cursor.Feed(pathBytes, 0, pathBytes.Length);
            foreach (var index in cursor.Found)
            {
                Add(findings, new LeakFinding(_needles[index], LeakPlace.Layer, path + " (its name)", null));
            }

            if (tar.Kind != TarEntryKind.File || tar.Size == 0 || _needles.Count == 0)
            {
                continue;
            }

            // The cursor carries its place from one chunk to the next: a secret split between them is found.
            cursor.Reset();
            int read;
            while ((read = tar.Read(buffer, 0, buffer.Length)) > 0)
            {
                bytes += read;
                var known = cursor.Found.Count;
                cursor.Feed(buffer, 0, read);
                for (var i = known; i < cursor.Found.Count; i++)
                {
                    Add(findings, new LeakFinding(_needles[cursor.Found[i]], LeakPlace.Layer, path, null));
                }
            }
        }

        hashing.Drain();
        return (entry, "sha256:" + Hex.Of(hashing.Finish()), findings);
    }

    private IEnumerable<LeakFinding> ScanConfig(object? config)
    {
        var fields = new List<(LeakPlace Place, string Location, string? Step, string Value)>();
        var runConfig = Json.Object(config, "config");
        foreach (var value in Json.Array(runConfig, "Env").OfType<string>())
        {
            fields.Add((LeakPlace.Config, "Env", null, value));
        }

        foreach (var name in new[] { "Cmd", "Entrypoint" })
        {
            foreach (var value in Json.Array(runConfig, name).OfType<string>())
            {
                fields.Add((LeakPlace.Config, name, null, value));
            }
        }

        foreach (var label in Json.Object(runConfig, "Labels") ?? new Dictionary<string, object?>())
        {
            fields.Add((LeakPlace.Config, "Labels", null, label.Key + "=" + label.Value));
        }

        var index = 0;
        foreach (var entry in Json.Array(config, "history"))
        {
            index++;
            if (Json.String(entry, "created_by") is { } createdBy)
            {
                fields.Add((LeakPlace.History, $"history entry {index}", createdBy, createdBy));
            }
        }

        var found = new HashSet<(string, string)>();
        foreach (var (place, location, step, value) in fields)
        {
            foreach (var match in _search.FindIn(Encoding.UTF8.GetBytes(value)))
            {
                var needle = _needles[match];
                if (found.Add((needle.SecretId, location)))
                {
                    yield return new LeakFinding(needle, place, location, step);
                }
            }
        }
    }

    private static (object? Config, string Layout, string Name) FindConfig(Dictionary<string, byte[]> metadata)
    {
        object? Document(string name)
        {
            try
            {
                return metadata.TryGetValue(name, out var data) ? Json.Parse(Encoding.UTF8.GetString(data)) : null;
            }
            catch (JsonFormatException exception)
            {
                throw new ImageArchiveException($"its '{name}' is {exception.Message}");
            }
        }

        if (Document("manifest.json") is List<object?> manifest && manifest.Count > 0 && Json.String(manifest[0], "Config") is { } configName)
        {
            var layout = metadata.ContainsKey("index.json") || configName.StartsWith("blobs/", StringComparison.Ordinal) ? "oci" : "classic";
            return (Document(configName), layout, configName);
        }

        var node = Document("index.json");
        for (var depth = 0; depth < 4 && node is not null; depth++)
        {
            if (Json.Object(node, "config") is { } configDescriptor && Json.String(configDescriptor, "digest") is { } configDigest)
            {
                return (Document(BlobName(configDigest)), "oci", BlobName(configDigest));
            }

            // A nested index (buildx) also lists attestation manifests, whose platform is unknown/unknown.
            var manifests = Json.Array(node, "manifests");
            var first = manifests.FirstOrDefault(m => Json.String(Json.Object(m, "platform"), "os") != "unknown") ?? (manifests.Count > 0 ? manifests[0] : null);
            node = Json.String(first, "digest") is { } digest ? Document(BlobName(digest)) : null;
        }

        throw new ImageArchiveException("it has neither a manifest.json nor an OCI index.json that leads to the image config");
    }

    /// <summary>
    /// The image's config first, then the config of every other platform the archive holds (a
    /// multi-platform image saved from the containerd store): JSON documents with rootfs diff ids,
    /// except attestation configs (platform unknown/unknown).
    /// </summary>
    private static List<object?> ImageConfigs(Dictionary<string, byte[]> metadata, object? config, string configName)
    {
        var configs = new List<object?> { config };
        foreach (var entry in metadata.Where(m => m.Key.StartsWith("blobs/", StringComparison.Ordinal) && m.Key != configName))
        {
            var document = Json.Parse(Encoding.UTF8.GetString(entry.Value));
            if (Json.Object(document, "rootfs") is not null && Json.String(document, "os") is { } os && os != "unknown")
            {
                configs.Add(document);
            }
        }

        return configs;
    }

    /// <summary>The Dockerfile step (history created_by) that made each layer: the n-th history entry that is not empty_layer made the n-th layer.</summary>
    private static Dictionary<string, string> StepsByDiffId(object? config)
    {
        var diffIds = Json.Array(Json.Object(config, "rootfs"), "diff_ids").OfType<string>().ToArray();
        var steps = Json.Array(config, "history").Where(h => !Json.Bool(h, "empty_layer")).Select(h => Json.String(h, "created_by") ?? "(no step recorded)").ToArray();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < diffIds.Length && i < steps.Length; i++)
        {
            map[diffIds[i]] = steps[i];
        }

        return map;
    }

    /// <summary>The diff id an entry's name gives ('blobs/sha256/&lt;hex&gt;' or '&lt;hex&gt;.tar'), if any.</summary>
    private static string? NamedDiffId(string name)
    {
        var hex = name.StartsWith("blobs/sha256/", StringComparison.Ordinal)
            ? name.Substring("blobs/sha256/".Length)
            : name.EndsWith(".tar", StringComparison.Ordinal) && name.IndexOf('/') < 0 ? name.Substring(0, name.Length - 4) : null;
        return hex is { Length: 64 } ? "sha256:" + hex : null;
    }

    private static string BlobName(string digest) => "blobs/" + digest.Replace(':', '/');

    private static void Add(List<LeakFinding> findings, LeakFinding finding)
    {
        if (!findings.Any(f => f.SecretId == finding.SecretId && f.Location == finding.Location))
        {
            findings.Add(finding);
        }
    }

    private static int ReadAtLeast(TarStream tar, byte[] buffer)
    {
        var total = 0;
        int read;
        while (total < buffer.Length && (read = tar.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static bool LooksLikeJson(byte[] data, int length)
    {
        for (var i = 0; i < length; i++)
        {
            if (!char.IsWhiteSpace((char)data[i]))
            {
                return data[i] == (byte)'{' || data[i] == (byte)'[';
            }
        }

        return false;
    }

    /// <summary>The bytes already read from an entry, then the rest of it.</summary>
    private sealed class PrefixedStream : ForwardOnlyStream
    {
        private readonly byte[] _prefix;
        private readonly int _prefixLength;
        private readonly TarStream _rest;
        private int _position;

        public PrefixedStream(byte[] prefix, int prefixLength, TarStream rest)
        {
            _prefix = prefix;
            _prefixLength = prefixLength;
            _rest = rest;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position < _prefixLength)
            {
                var take = Math.Min(count, _prefixLength - _position);
                Buffer.BlockCopy(_prefix, _position, buffer, offset, take);
                _position += take;
                return take;
            }

            return _rest.Read(buffer, offset, count);
        }
    }

    /// <summary>Hashes every byte read through it.</summary>
    private sealed class HashingStream : ForwardOnlyStream
    {
        private readonly Stream _inner;
        private readonly HashAlgorithm _hash;

        public HashingStream(Stream inner, HashAlgorithm hash)
        {
            _inner = inner;
            _hash = hash;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = _inner.Read(buffer, offset, count);
            _hash.TransformBlock(buffer, offset, read, null, 0);
            return read;
        }

        /// <summary>Reads what is left (the tar's closing blocks) so the hash covers the whole layer.</summary>
        public void Drain()
        {
            var buffer = new byte[81920];
            while (Read(buffer, 0, buffer.Length) > 0)
            {
            }
        }

        public byte[] Finish()
        {
            _hash.TransformFinalBlock([], 0, 0);
            return _hash.Hash!;
        }
    }
}
