using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>Writes synthetic 'docker save' archives, in the classic or the OCI layout, with plain or gzip layers.</summary>
internal sealed class ImageArchiveBuilder
{
    private readonly List<(byte[] Tar, string Step)> _layers = [];
    private readonly List<string> _env = ["PATH=/usr/bin"];
    private readonly Dictionary<string, string> _labels = [];
    private readonly List<(string Step, bool Empty)> _history = [];

    public bool Oci { get; init; }

    public bool Gzip { get; init; }

    /// <summary>Which layers are gzip-compressed (by index); wins over <see cref="Gzip"/>. BuildKit's layers are gzip, imported ones stay plain.</summary>
    public Func<int, bool>? GzipLayer { get; init; }

    /// <summary>The index of a layer whose blob starts like a zstd frame (the scanner cannot read zstd).</summary>
    public int? ZstdLayer { get; init; }

    /// <summary>
    /// OCI layout as buildx with the containerd image store writes it: index.json points to a nested
    /// index holding the image manifest and an in-toto attestation manifest; manifest.json too.
    /// </summary>
    public bool Attestation { get; init; }

    /// <summary>Podman's docker-archive: layers as top-level '&lt;diff id&gt;.tar' files, the v1 folders linking to them.</summary>
    public bool Podman { get; init; }

    /// <summary>Adds a layer made by <paramref name="step"/> holding the given files (path, content).</summary>
    public ImageArchiveBuilder Layer(string step, params (string Path, byte[] Content)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                // A fixed time: the same files make the same layer (the same diff id), as they do in docker.
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(content), ModificationTime = DateTimeOffset.UnixEpoch });
            }
        }

        _layers.Add((tar.ToArray(), step));
        _history.Add((step, false));
        return this;
    }

    public ImageArchiveBuilder Layer(string step, string path, string content) => Layer(step, (path, Encoding.UTF8.GetBytes(content)));

    public ImageArchiveBuilder EmptyStep(string step)
    {
        _history.Add((step, true));
        return this;
    }

    public ImageArchiveBuilder Env(string value)
    {
        _env.Add(value);
        return this;
    }

    public ImageArchiveBuilder Label(string key, string value)
    {
        _labels[key] = value;
        return this;
    }

    /// <summary>The diff id of the n-th layer (sha256 of its uncompressed tar).</summary>
    public string DiffId(int layer) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(_layers[layer].Tar));

    public byte[] Build()
    {
        var config = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new Dictionary<string, object> { ["Env"] = _env, ["Labels"] = _labels, ["Cmd"] = new[] { "/bin/sh" } },
            ["rootfs"] = new Dictionary<string, object> { ["type"] = "layers", ["diff_ids"] = _layers.Select((_, i) => DiffId(i)).ToArray() },
            ["history"] = _history.Select(h => h.Empty
                ? new Dictionary<string, object> { ["created_by"] = h.Step, ["empty_layer"] = true }
                : new Dictionary<string, object> { ["created_by"] = h.Step }).ToArray(),
        });
        var configDigest = Convert.ToHexStringLower(SHA256.HashData(config));
        var blobs = _layers.Select((l, i) => i == ZstdLayer ? ZstdLike(l.Tar) : (GzipLayer?.Invoke(i) ?? Gzip) ? Compress(l.Tar) : l.Tar).ToArray();

        var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, TarEntryFormat.Ustar, leaveOpen: true))
        {
            if (Oci)
            {
                var layerDigests = blobs.Select(b => Convert.ToHexStringLower(SHA256.HashData(b))).ToArray();
                for (var i = 0; i < blobs.Length; i++)
                {
                    Write(writer, $"blobs/sha256/{layerDigests[i]}", blobs[i]);
                }

                var manifest = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
                {
                    ["schemaVersion"] = 2,
                    ["config"] = new Dictionary<string, object> { ["digest"] = "sha256:" + configDigest },
                    ["layers"] = layerDigests.Select(d => new Dictionary<string, object> { ["digest"] = "sha256:" + d }).ToArray(),
                });
                var manifestDigest = Convert.ToHexStringLower(SHA256.HashData(manifest));
                Write(writer, $"blobs/sha256/{configDigest}", config);
                Write(writer, $"blobs/sha256/{manifestDigest}", manifest);
                var top = manifestDigest;
                if (Attestation)
                {
                    top = WriteAttestationIndex(writer, manifestDigest);
                }

                Write(writer, "index.json", JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
                {
                    ["schemaVersion"] = 2,
                    ["manifests"] = new[] { new Dictionary<string, object> { ["digest"] = "sha256:" + top } },
                }));
                if (Attestation)
                {
                    Write(writer, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(new[]
                    {
                        new Dictionary<string, object>
                        {
                            ["Config"] = $"blobs/sha256/{configDigest}", ["RepoTags"] = new[] { "consumer:latest" }, ["Layers"] = layerDigests.Select(d => $"blobs/sha256/{d}").ToArray(),
                        },
                    }));
                }

                Write(writer, "oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
            }
            else
            {
                var names = new List<string>();
                for (var i = 0; i < blobs.Length; i++)
                {
                    var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("v1-" + i)));
                    if (Podman)
                    {
                        var diffId = DiffId(i).Substring("sha256:".Length);
                        Write(writer, $"{diffId}.tar", blobs[i]);
                        writer.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, $"{id}/layer.tar") { LinkName = $"../{diffId}.tar" });
                        names.Add($"{diffId}.tar");
                        continue;
                    }

                    Write(writer, $"{id}/VERSION", Encoding.UTF8.GetBytes("1.0"));
                    Write(writer, $"{id}/json", Encoding.UTF8.GetBytes("{\"id\":\"" + id + "\"}"));
                    Write(writer, $"{id}/layer.tar", blobs[i]);
                    names.Add($"{id}/layer.tar");
                }

                Write(writer, $"{configDigest}.json", config);
                Write(writer, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(new[]
                {
                    new Dictionary<string, object> { ["Config"] = $"{configDigest}.json", ["RepoTags"] = new[] { "consumer:latest" }, ["Layers"] = names },
                }));
            }
        }

        return archive.ToArray();
    }

    /// <summary>Writes an in-toto provenance blob, its attestation manifest and the nested index; returns the index's digest.</summary>
    private static string WriteAttestationIndex(TarWriter writer, string imageManifestDigest)
    {
        var provenance = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":\"https://slsa.dev/provenance/v0.2\",\"predicate\":{\"buildType\":\"https://mobyproject.org/buildkit@v1\"}}");
        var provenanceDigest = Convert.ToHexStringLower(SHA256.HashData(provenance));
        var emptyConfig = Encoding.UTF8.GetBytes("{\"architecture\":\"unknown\",\"os\":\"unknown\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + provenanceDigest + "\"]}}");
        var emptyConfigDigest = Convert.ToHexStringLower(SHA256.HashData(emptyConfig));
        var attestation = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["config"] = new Dictionary<string, object> { ["digest"] = "sha256:" + emptyConfigDigest },
            ["layers"] = new[] { new Dictionary<string, object> { ["mediaType"] = "application/vnd.in-toto+json", ["digest"] = "sha256:" + provenanceDigest } },
        });
        var attestationDigest = Convert.ToHexStringLower(SHA256.HashData(attestation));
        var index = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new[]
            {
                new Dictionary<string, object> { ["digest"] = "sha256:" + imageManifestDigest, ["platform"] = new Dictionary<string, string> { ["architecture"] = "amd64", ["os"] = "linux" } },
                new Dictionary<string, object>
                {
                    ["digest"] = "sha256:" + attestationDigest,
                    ["platform"] = new Dictionary<string, string> { ["architecture"] = "unknown", ["os"] = "unknown" },
                    ["annotations"] = new Dictionary<string, string> { ["vnd.docker.reference.type"] = "attestation-manifest", ["vnd.docker.reference.digest"] = "sha256:" + imageManifestDigest },
                },
            },
        });
        var indexDigest = Convert.ToHexStringLower(SHA256.HashData(index));
        Write(writer, $"blobs/sha256/{provenanceDigest}", provenance);
        Write(writer, $"blobs/sha256/{emptyConfigDigest}", emptyConfig);
        Write(writer, $"blobs/sha256/{attestationDigest}", attestation);
        Write(writer, $"blobs/sha256/{indexDigest}", index);
        return indexDigest;
    }

    /// <summary>The zstd frame magic followed by the tar (not a valid frame; enough to be recognised).</summary>
    private static byte[] ZstdLike(byte[] tar) => [0x28, 0xb5, 0x2f, 0xfd, .. tar];

    private static void Write(TarWriter writer, string name, byte[] content) =>
        writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });

    private static byte[] Compress(byte[] data)
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return compressed.ToArray();
    }
}
