using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;

namespace BuildSecrets.MSBuild.Scanning;

/// <summary>
/// Proves that no declared secret value is in an image: scans the archive <c>docker save IMAGE</c>
/// writes (classic or OCI layout), read once, forward only, as it comes out of the client. Searches
/// every layer added on top of the base image (entry paths, link targets, PAX records, contents,
/// plain or gzip-compressed layers), the image config (Env, Labels, Cmd, Entrypoint... every string)
/// and the history (<c>created_by</c> of each step). Memory stays flat whatever the image's size: one
/// read buffer plus the small JSON documents of the archive.
/// </summary>
/// <remarks>
/// Which layers belong to the base image is known from their diff id (the SHA-256 of the uncompressed
/// layer tar, <c>sha256:&lt;hex&gt;</c>), but the archive lists the layers in manifest.json and the
/// config, usually after the layers themselves. So: an OCI blob whose name (its digest) is a base diff
/// id is an uncompressed base layer and is skipped unread; any other layer is searched while its
/// uncompressed bytes are hashed, and at the end, once manifest.json and the config are read, the
/// findings of layers whose diff id is a base layer's are dropped. The n-th layer of
/// <c>rootfs.diff_ids</c> was made by the n-th history entry that is not <c>empty_layer</c>: that
/// entry's <c>created_by</c> names the step of a finding.
/// </remarks>
internal sealed class ImageScanner
{
    public const string InLayer = "layer";
    public const string InConfig = "config";
    public const string InHistory = "history";
    public const string ClassicLayout = "classic";
    public const string OciLayout = "oci";

    /// <summary>What replaces a secret value in the paths and steps a finding quotes.</summary>
    public const string Mask = "***";

    /// <summary>JSON documents (manifests, configs) larger than this are not kept; a config that large is refused.</summary>
    internal const int MaxDocumentSize = 16 << 20;

    /// <summary>Shorter unsearched values are not masked either: they would mask ordinary letters.</summary>
    private const int MinimumMaskLength = 4;

    private readonly IReadOnlyList<string> _secretIds;
    private readonly byte[][] _needles;
    private readonly List<(int Secret, int Priority, string Form)>[] _owners;
    private readonly NeedleSearch _search;
    private readonly IReadOnlyList<UnverifiableSecret> _unverifiable;
    private readonly HashSet<string> _baseLayers;
    private readonly IReadOnlyList<string> _maskValues;

    public ImageScanner(IReadOnlyList<(string SecretId, string Value)> secrets, ISet<string> baseLayerDiffIds)
    {
        if (secrets is null)
        {
            throw new ArgumentNullException(nameof(secrets));
        }

        _baseLayers = new HashSet<string>((baseLayerDiffIds ?? throw new ArgumentNullException(nameof(baseLayerDiffIds))).Select(d => d.Trim()), StringComparer.OrdinalIgnoreCase);

        var ids = new List<string>();
        var needleIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var needles = new List<byte[]>();
        var owners = new List<List<(int Secret, int Priority, string Form)>>();
        var unverifiable = new List<UnverifiableSecret>();
        var mask = new HashSet<string>(StringComparer.Ordinal);
        for (var s = 0; s < secrets.Count; s++)
        {
            var (id, value) = secrets[s];
            ids.Add(id);
            var values = SecretValues.From(value);
            foreach (var reason in values.Unverifiable)
            {
                unverifiable.Add(new UnverifiableSecret(id, reason));
            }

            foreach (var weak in values.UnsearchedValues.Where(v => v.Length >= MinimumMaskLength))
            {
                mask.Add(weak);
            }

            for (var priority = 0; priority < values.SearchStrings.Count; priority++)
            {
                var search = values.SearchStrings[priority];
                mask.Add(search.Text);
                if (!needleIndex.TryGetValue(search.Text, out var n))
                {
                    n = needles.Count;
                    needleIndex.Add(search.Text, n);
                    needles.Add(Encoding.UTF8.GetBytes(search.Text));
                    owners.Add(new List<(int, int, string)>());
                }

                owners[n].Add((s, priority, search.Form));
            }
        }

        _secretIds = ids;
        _needles = needles.ToArray();
        _owners = owners.ToArray();
        _search = new NeedleSearch(needles);
        _unverifiable = unverifiable;

        // Longest first, so that a value containing another is masked whole.
        _maskValues = mask.OrderByDescending(v => v.Length).ToList();
    }

    /// <summary>The secrets (or parts) that are not searched for, known before any scan.</summary>
    public IReadOnlyList<UnverifiableSecret> Unverifiable => _unverifiable;

    /// <summary>Scans an archive as <c>docker save</c> writes it (or that archive gzip-compressed), reading it once, forward only, to its end.</summary>
    /// <exception cref="ImageArchiveException">The archive is malformed, or lacks what it must hold (manifest, config, a layer).</exception>
    public ScanResult Scan(Stream dockerSaveArchive, CancellationToken ct)
    {
        if (dockerSaveArchive is null)
        {
            throw new ArgumentNullException(nameof(dockerSaveArchive));
        }

        return new Run(this, ct).Scan(dockerSaveArchive);
    }

    /// <summary>Replaces every secret value (and every form of one searched for) in a string from the image by <see cref="Mask"/>.</summary>
    internal string MaskSecrets(string text)
    {
        foreach (var value in _maskValues)
        {
            if (text.IndexOf(value, StringComparison.Ordinal) >= 0)
            {
                text = text.Replace(value, Mask);
            }
        }

        return text;
    }

    /// <summary>The findings of one searched item: per secret, the most telling form found.</summary>
    private IEnumerable<(int Secret, string Form)> Attribute(MatchSet found)
    {
        if (found.Count == 0)
        {
            return Array.Empty<(int, string)>();
        }

        var best = new Dictionary<int, (int Priority, string Form)>();
        foreach (var n in found.Found)
        {
            foreach (var (secret, priority, form) in _owners[n])
            {
                if (!best.TryGetValue(secret, out var current) || priority < current.Priority)
                {
                    best[secret] = (priority, form);
                }
            }
        }

        return best.OrderBy(b => b.Key).Select(b => (b.Key, b.Value.Form));
    }

    /// <summary>Archive paths as manifest.json spells them: no leading "./" or "/", no "." or ".." segments.</summary>
    internal static string NormalizeArchivePath(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        return string.Join("/", parts);
    }

    /// <summary>A path inside the image, as a finding shows it: absolute, without a trailing slash.</summary>
    private static string ImagePath(string entryName)
    {
        var normalized = NormalizeArchivePath(entryName);
        return "/" + normalized;
    }

    /// <summary>What was learnt of one layer of the archive while reading it.</summary>
    private sealed class LayerRecord
    {
        public LayerRecord(string archivePath) => ArchivePath = archivePath;

        public string ArchivePath { get; }

        /// <summary>Computed (SHA-256 of the uncompressed tar) or, for an uncompressed OCI blob, its name.</summary>
        public string? DiffId { get; set; }

        public bool SkippedUnread { get; set; }

        /// <summary>Why the layer could not be read (zstd, unknown format); an error only if it is an added layer.</summary>
        public string? Unreadable { get; set; }

        public List<(int Secret, string Path, string Form)> Findings { get; } = new();
    }

    /// <summary>The state of one scan.</summary>
    private sealed class Run
    {
        private const string ManifestName = "manifest.json";
        private const string IndexName = "index.json";
        private const string OciLayoutName = "oci-layout";

        private readonly ImageScanner _scanner;
        private readonly CancellationToken _ct;
        private readonly Dictionary<string, LayerRecord> _layers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, byte[]> _documents = new(StringComparer.Ordinal);
        private readonly HashSet<string> _oversizedDocuments = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);
        private readonly MatchSet _matches;
        private readonly byte[] _buffer;
        private long _bytesScanned;
        private bool _sawOciMarker;

        public Run(ImageScanner scanner, CancellationToken ct)
        {
            _scanner = scanner;
            _ct = ct;
            _matches = new MatchSet(scanner._needles.Length);
            _buffer = scanner._search.CreateStreamBuffer();
        }

        public ScanResult Scan(Stream archive)
        {
            var input = PrefixedStream.Peek(archive, 2, out var head, out var headLength);
            Stream source = headLength == 2 && head[0] == 0x1F && head[1] == 0x8B
                ? new GZipStream(input, CompressionMode.Decompress)
                : input;

            try
            {
                var outer = new TarStreamReader(source, 256 * 1024);
                TarEntry? entry;
                var entries = 0;
                while ((entry = outer.Next()) is not null)
                {
                    _ct.ThrowIfCancellationRequested();
                    entries++;
                    ReadArchiveEntry(entry);
                }

                if (entries == 0)
                {
                    throw new ImageArchiveException("the image archive is empty");
                }

                // Read to the end, so that docker writing into a pipe finishes normally.
                outer.DrainUnderlyingStream();
            }
            catch (InvalidDataException ex)
            {
                throw new ImageArchiveException("the image archive is not valid gzip data", ex);
            }

            return Resolve();
        }

        private void ReadArchiveEntry(TarEntry entry)
        {
            var path = NormalizeArchivePath(entry.Name);
            if (entry.Type == TarEntryType.SymbolicLink && entry.LinkName is not null)
            {
                var directory = path.LastIndexOf('/') is var slash and >= 0 ? path.Substring(0, slash + 1) : string.Empty;
                _links[path] = NormalizeArchivePath(entry.LinkName.StartsWith("/", StringComparison.Ordinal) ? entry.LinkName : directory + entry.LinkName);
                return;
            }

            if (entry.Type == TarEntryType.HardLink && entry.LinkName is not null)
            {
                _links[path] = NormalizeArchivePath(entry.LinkName);
                return;
            }

            if (entry.Type != TarEntryType.File)
            {
                return;
            }

            if (path is IndexName or OciLayoutName)
            {
                _sawOciMarker = true;
            }

            if (path is ManifestName or IndexName)
            {
                KeepDocument(path, entry.Content);
            }
            else if (IsBlobPath(path, out var digest))
            {
                ReadBlob(path, digest, entry.Content);
            }
            else if (path.EndsWith("/layer.tar", StringComparison.Ordinal))
            {
                ReadLayer(path, entry.Content, knownDiffId: null);
            }
            else if (path.IndexOf('/') < 0 && path.EndsWith(".json", StringComparison.Ordinal))
            {
                // The classic layout's image config, <hex>.json.
                KeepDocument(path, entry.Content);
            }
        }

        private static bool IsBlobPath(string path, out string digest)
        {
            digest = string.Empty;
            var parts = path.Split('/');
            if (parts.Length != 3 || parts[0] != "blobs" || parts[1].Length == 0 || parts[2].Length == 0)
            {
                return false;
            }

            digest = parts[1] + ":" + parts[2];
            return true;
        }

        private void ReadBlob(string path, string digest, Stream content)
        {
            if (_scanner._baseLayers.Contains(digest))
            {
                // An uncompressed blob's digest is its diff id: a base layer, skipped unread. (A compressed
                // blob's digest is never a diff id.)
                _layers[path] = new LayerRecord(path) { DiffId = digest, SkippedUnread = true };
                return;
            }

            var stream = PrefixedStream.Peek(content, TarStreamReader.BlockSize, out var head, out var headLength);
            if (headLength >= 2 && head[0] == 0x1F && head[1] == 0x8B)
            {
                ReadLayer(path, stream, knownDiffId: null, gzip: true);
            }
            else if (headLength >= 4 && head[0] == 0x28 && head[1] == 0xB5 && head[2] == 0x2F && head[3] == 0xFD)
            {
                _layers[path] = new LayerRecord(path) { Unreadable = "zstd-compressed" };
            }
            else if (headLength == 0 || TarStreamReader.IsHeaderBlock(head, 0, headLength))
            {
                ReadLayer(path, stream, knownDiffId: digest);
            }
            else if (FirstNonWhitespace(head, headLength) is (byte)'{' or (byte)'[')
            {
                KeepDocument(path, stream);
            }
            else
            {
                _layers[path] = new LayerRecord(path) { Unreadable = "neither a tar, a gzip-compressed tar nor JSON" };
            }
        }

        private static byte FirstNonWhitespace(byte[] data, int length)
        {
            for (var i = 0; i < length; i++)
            {
                if (data[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    return data[i];
                }
            }

            return 0;
        }

        private void KeepDocument(string path, Stream content)
        {
            using var copy = new MemoryStream();
            int read;
            while ((read = content.Read(_buffer, 0, _buffer.Length)) > 0)
            {
                if (copy.Length + read > MaxDocumentSize)
                {
                    _oversizedDocuments.Add(path);
                    return;
                }

                copy.Write(_buffer, 0, read);
            }

            _documents[path] = copy.ToArray();
        }

        private void ReadLayer(string path, Stream content, string? knownDiffId, bool gzip = false)
        {
            var layer = new LayerRecord(path);
            _layers[path] = layer;
            try
            {
                using var decompressed = gzip ? new GZipStream(content, CompressionMode.Decompress, leaveOpen: true) : null;
                using var hashing = new HashingReadStream(decompressed ?? content, computeHash: knownDiffId is null);
                var reader = new TarStreamReader(hashing);
                TarEntry? entry;
                while ((entry = reader.Next()) is not null)
                {
                    _ct.ThrowIfCancellationRequested();
                    SearchLayerEntry(layer, entry);
                }

                // The bytes after the end marker belong to the layer's diff id too.
                hashing.Drain(_buffer);
                layer.DiffId = knownDiffId ?? hashing.Digest();
                _bytesScanned += hashing.BytesRead;
            }
            catch (ImageArchiveException ex)
            {
                throw new ImageArchiveException($"layer {_scanner.MaskSecrets(path)}: {ex.Message}", ex);
            }
            catch (InvalidDataException ex)
            {
                throw new ImageArchiveException($"layer {_scanner.MaskSecrets(path)} is not valid gzip data", ex);
            }
        }

        private void SearchLayerEntry(LayerRecord layer, TarEntry entry)
        {
            _matches.Reset();
            SearchText(entry.Name);
            if (entry.LinkName is not null)
            {
                SearchText(entry.LinkName);
            }

            foreach (var attribute in entry.PaxAttributes)
            {
                SearchText(attribute.Key);
                SearchText(attribute.Value);
            }

            if (entry.Size > 0)
            {
                _scanner._search.SearchStream(entry.Content, _buffer, _matches, _ct);
            }

            if (_matches.Count == 0)
            {
                return;
            }

            var where = _scanner.MaskSecrets(ImagePath(entry.Name));
            foreach (var (secret, form) in _scanner.Attribute(_matches))
            {
                if (!layer.Findings.Contains((secret, where, form)))
                {
                    layer.Findings.Add((secret, where, form));
                }
            }
        }

        private void SearchText(string text)
        {
            if (text.Length >= NeedleSearch.MinimumNeedleLength)
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                _scanner._search.Search(bytes, 0, bytes.Length, _matches);
            }
        }

        private ScanResult Resolve()
        {
            var layout = _sawOciMarker ? OciLayout : ClassicLayout;
            var leaks = new List<LeakFinding>();
            var seenLeaks = new HashSet<LeakFinding>();
            var counted = new HashSet<string>(StringComparer.Ordinal);
            int scanned = 0, skipped = 0;

            foreach (var (configPath, layerPaths) in Images())
            {
                var config = ReadJson(configPath, "the image config") as JsonObject
                    ?? throw new ImageArchiveException($"the image config {Masked(configPath)} is not a JSON object");
                var diffIds = (config.GetObject("rootfs")?.GetArray("diff_ids")
                    ?? throw new ImageArchiveException($"the image config {Masked(configPath)} has no rootfs.diff_ids"))
                    .Select(d => d as string ?? throw new ImageArchiveException($"the image config {Masked(configPath)} has a diff id that is not a string"))
                    .ToList();
                if (diffIds.Count != layerPaths.Count)
                {
                    throw new ImageArchiveException(
                        $"the manifest lists {layerPaths.Count} layers for the image config {Masked(configPath)}, whose rootfs.diff_ids lists {diffIds.Count}");
                }

                var history = config.GetArray("history") ?? new List<object?>();
                var steps = LayerSteps(history, diffIds.Count);

                for (var i = 0; i < layerPaths.Count; i++)
                {
                    var layerPath = FollowLinks(layerPaths[i]);
                    if (!_layers.TryGetValue(layerPath, out var layer))
                    {
                        throw new ImageArchiveException($"the manifest lists the layer {Masked(layerPaths[i])}, which the archive does not contain");
                    }

                    var diffId = diffIds[i];
                    var isBase = _scanner._baseLayers.Contains(diffId);
                    if (layer.Unreadable is not null)
                    {
                        if (isBase)
                        {
                            if (counted.Add(layerPath))
                            {
                                skipped++;
                            }

                            continue;
                        }

                        throw new ImageArchiveException($"the layer {Masked(layerPath)} is {layer.Unreadable}: the scanner reads tar and gzip-compressed tar layers only");
                    }

                    if (layer.DiffId is not null && !string.Equals(layer.DiffId, diffId, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new ImageArchiveException(
                            $"the layer {Masked(layerPath)} does not match diff id {Masked(diffId)} of the image config (its content hashes to {layer.DiffId}): a corrupt archive");
                    }

                    if (!counted.Add(layerPath))
                    {
                        continue;
                    }

                    if (isBase)
                    {
                        skipped++;
                        continue;
                    }

                    scanned++;
                    var step = steps?[i] is { } createdBy ? _scanner.MaskSecrets(createdBy) : null;
                    foreach (var (secret, path, form) in layer.Findings)
                    {
                        Add(new LeakFinding(_scanner._secretIds[secret], InLayer, path, step, form));
                    }
                }

                SearchConfig(config, history, Add);
            }

            return new ScanResult(leaks, _scanner._unverifiable, scanned, skipped, _bytesScanned, layout);

            void Add(LeakFinding finding)
            {
                if (seenLeaks.Add(finding))
                {
                    leaks.Add(finding);
                }
            }
        }

        /// <summary>Each image of the archive: its config's path and its layers' paths, in rootfs order.</summary>
        private List<(string Config, List<string> Layers)> Images()
        {
            var images = new List<(string, List<string>)>();
            if (_documents.ContainsKey(ManifestName) || _oversizedDocuments.Contains(ManifestName))
            {
                var manifest = ReadJson(ManifestName, ManifestName) as List<object?>
                    ?? throw new ImageArchiveException($"{ManifestName} is not a JSON array");
                foreach (var item in manifest)
                {
                    var image = item as JsonObject ?? throw new ImageArchiveException($"{ManifestName} has an entry that is not an object");
                    var config = image.GetString("Config") ?? throw new ImageArchiveException($"{ManifestName} has an entry without Config");
                    var layers = (image.GetArray("Layers") ?? throw new ImageArchiveException($"{ManifestName} has an entry without Layers"))
                        .Select(l => l as string ?? throw new ImageArchiveException($"{ManifestName} has a layer path that is not a string"))
                        .Select(NormalizeArchivePath)
                        .ToList();
                    images.Add((NormalizeArchivePath(config), layers));
                }
            }
            else if (_documents.ContainsKey(IndexName) || _oversizedDocuments.Contains(IndexName))
            {
                AddIndexImages(IndexName, images, depth: 0);
            }
            else
            {
                throw new ImageArchiveException("the archive has neither manifest.json nor index.json: it is not an image archive as docker save writes it");
            }

            if (images.Count == 0)
            {
                throw new ImageArchiveException("the archive lists no image");
            }

            return images;
        }

        /// <summary>The images of an OCI index (index.json or a nested index blob), attestation manifests left out.</summary>
        private void AddIndexImages(string indexPath, List<(string, List<string>)> images, int depth)
        {
            if (depth > 8)
            {
                throw new ImageArchiveException("the OCI indexes nest more than 8 levels deep");
            }

            var index = ReadJson(indexPath, indexPath) as JsonObject ?? throw new ImageArchiveException($"{Masked(indexPath)} is not a JSON object");
            foreach (var item in index.GetArray("manifests") ?? new List<object?>())
            {
                if (item is not JsonObject descriptor)
                {
                    continue;
                }

                var blobPath = BlobPath(descriptor, indexPath);
                var mediaType = descriptor.GetString("mediaType") ?? string.Empty;
                if (descriptor.GetObject("annotations")?.GetString("vnd.docker.reference.type") == "attestation-manifest")
                {
                    continue;
                }

                if (mediaType.EndsWith("image.index.v1+json", StringComparison.Ordinal) || mediaType.EndsWith("manifest.list.v2+json", StringComparison.Ordinal))
                {
                    AddIndexImages(blobPath, images, depth + 1);
                    continue;
                }

                var manifest = ReadJson(blobPath, "an image manifest") as JsonObject
                    ?? throw new ImageArchiveException($"the image manifest {Masked(blobPath)} is not a JSON object");
                var config = manifest.GetObject("config") ?? throw new ImageArchiveException($"the image manifest {Masked(blobPath)} has no config");
                var layers = (manifest.GetArray("layers") ?? new List<object?>())
                    .Select(l => BlobPath(l as JsonObject ?? throw new ImageArchiveException($"the image manifest {Masked(blobPath)} has a layer that is not an object"), blobPath))
                    .ToList();
                images.Add((BlobPath(config, blobPath), layers));
            }
        }

        private string BlobPath(JsonObject descriptor, string documentPath)
        {
            var digest = descriptor.GetString("digest");
            var colon = digest?.IndexOf(':') ?? -1;
            if (digest is null || colon <= 0 || colon == digest.Length - 1)
            {
                throw new ImageArchiveException($"{Masked(documentPath)} has a descriptor without a valid digest");
            }

            return "blobs/" + digest.Substring(0, colon) + "/" + digest.Substring(colon + 1);
        }

        private object? ReadJson(string path, string what)
        {
            if (_oversizedDocuments.Contains(path))
            {
                throw new ImageArchiveException($"{what} ({Masked(path)}) is larger than {MaxDocumentSize >> 20} MiB");
            }

            if (!_documents.TryGetValue(path, out var bytes))
            {
                throw new ImageArchiveException($"{what} ({Masked(path)}) is missing from the archive");
            }

            return JsonReader.Parse(bytes, bytes.Length, Masked(path));
        }

        private string FollowLinks(string path)
        {
            for (var hops = 0; hops < 16 && !_layers.ContainsKey(path) && _links.TryGetValue(path, out var target); hops++)
            {
                path = target;
            }

            return path;
        }

        private string Masked(string text) => _scanner.MaskSecrets(text);

        /// <summary>The <c>created_by</c> of the history entry that made each layer; null when the history does not account for the layers.</summary>
        private static string?[]? LayerSteps(List<object?> history, int layerCount)
        {
            var steps = new List<string?>();
            foreach (var item in history)
            {
                if (item is JsonObject entry && entry["empty_layer"] is not true)
                {
                    steps.Add(entry.GetString("created_by"));
                }
            }

            return steps.Count == layerCount ? steps.ToArray() : null;
        }

        /// <summary>Every string of the config (keys and values): history entries are reported as history, the rest as config.</summary>
        private void SearchConfig(JsonObject config, List<object?> history, Action<LeakFinding> add)
        {
            foreach (var member in config.Members)
            {
                if (member.Key == "rootfs")
                {
                    continue;
                }

                if (member.Key == "history" && member.Value is List<object?>)
                {
                    for (var i = 0; i < history.Count; i++)
                    {
                        var step = (history[i] as JsonObject)?.GetString("created_by");
                        Walk(history[i], $"history[{i}]", (path, text) => Report(text, InHistory, path, step, add));
                    }

                    continue;
                }

                Walk(member.Value, member.Key, (path, text) => Report(text, InConfig, path, null, add));
            }
        }

        private void Walk(object? node, string path, Action<string, string> visit)
        {
            switch (node)
            {
                case string text:
                    visit(path, text);
                    break;
                case List<object?> array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        Walk(array[i], $"{path}[{i}]", visit);
                    }

                    break;
                case JsonObject obj:
                    foreach (var member in obj.Members)
                    {
                        var memberPath = $"{path}.{member.Key}";
                        visit(memberPath, member.Key);
                        Walk(member.Value, memberPath, visit);
                    }

                    break;
            }
        }

        private void Report(string text, string where, string path, string? step, Action<LeakFinding> add)
        {
            _matches.Reset();
            SearchText(text);
            foreach (var (secret, form) in _scanner.Attribute(_matches))
            {
                add(new LeakFinding(_scanner._secretIds[secret], where, Masked(path), step is null ? null : Masked(step), form));
            }
        }
    }
}
