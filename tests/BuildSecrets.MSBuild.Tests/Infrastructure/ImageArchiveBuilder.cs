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
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(content) });
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
        var blobs = _layers.Select(l => Gzip ? Compress(l.Tar) : l.Tar).ToArray();

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
                Write(writer, "index.json", JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
                {
                    ["schemaVersion"] = 2,
                    ["manifests"] = new[] { new Dictionary<string, object> { ["digest"] = "sha256:" + manifestDigest } },
                }));
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
