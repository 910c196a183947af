using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// Stage 5, prove: streams <c>docker save</c> of the built image through the scanner (the layers
/// added on top of the final stage's base image, the config, the history) and turns what it finds
/// into coded errors that point at the Dockerfile step.
/// </summary>
internal sealed class ImageProof(IBuildLog log, DockerClient client, SecretRedactor redactor, ProofRecords records)
{
    /// <summary>The leaks found in the image; empty when it is proven clean, or when there is nothing to search for.</summary>
    public async Task<IReadOnlyList<Diagnostic>> ProveAsync(
        string repository, string dockerfilePath, ParsedDockerfile dockerfile, BuiltImage image, IReadOnlyDictionary<string, byte[]> values, bool scan, CancellationToken cancellationToken)
    {
        if (values.Count == 0)
        {
            return [];
        }

        if (!scan)
        {
            log.Report(Messages.ScanSkipped());
            return [];
        }

        foreach (var value in values)
        {
            if (SecretValues.WhyNotVerifiable(value.Value) is { } reason)
            {
                log.Report(Messages.SecretNotVerifiable(value.Key, reason));
            }
        }

        var needles = values.SelectMany(v => SecretValues.Needles(v.Key, v.Value)).ToArray();
        if (needles.Length == 0)
        {
            return [];
        }

        if (records.Proven(image.ImageId))
        {
            log.Important("BuildSecrets: image '{0}' ({1}) was proven clean of secrets {2} by an earlier build, with the same secrets and scanner: not scanned again (record: {3}).",
                repository, image.ImageId, string.Join(", ", values.Keys), records.Path!);
            return [];
        }

        // A base the engine did not have before the build was pulled by it; it is not the new image, which is not tagged yet.
        var baseLayers = image.BaseLayers ?? (image.BaseImage is null ? null : await client.LayerDiffIdsAsync(image.BaseImage, cancellationToken));
        var started = DateTime.UtcNow;
        ScanResult result;
        try
        {
            result = await ScanAsync(client, image.ImageId, records.Shortcuts(baseLayers ?? []), needles, cancellationToken);
            if (!result.ShortcutsHeld)
            {
                log.Detail("BuildSecrets: the archive of image '{0}' does not hold the layers earlier archives said its entries hold; it is scanned again, every layer but the base image's.", repository);
                result = await ScanAsync(client, image.ImageId, LayerShortcuts.BaseOnly(baseLayers ?? []), needles, cancellationToken);
            }
        }
        catch (UnsupportedLayerException exception)
        {
            return [Messages.LayerNotReadable(exception.Entry, exception.Compression)];
        }
        catch (ImageArchiveException exception)
        {
            return [Messages.ScanFailed($"the archive of 'docker save' is not understood: {exception.Message}.")];
        }
        catch (ImageSaveException exception)
        {
            return [Messages.ScanFailed(exception.Message)];
        }

        if (image.BaseImage is not null && baseLayers is null)
        {
            log.Detail("BuildSecrets: the base image '{0}' is not in the engine; every layer is scanned.", image.BaseImage);
        }

        var leaks = result.Leaks.Select(leak => Describe(leak, dockerfilePath, dockerfile)).ToList();
        records.Record(leaks.Count == 0 ? image.ImageId : null, result);
        log.Important("BuildSecrets: scanned image '{0}' for secrets {1}: {2} layer(s) added on top of the base image ({4} base layer(s) left out, {7} proven clean by an earlier build; {3:0.0} MB read), the config and the history, in {5:0.0} s: {6}.",
            repository,
            string.Join(", ", values.Keys),
            result.LayersScanned,
            result.BytesScanned / 1048576.0,
            result.LayersSkipped,
            (DateTime.UtcNow - started).TotalSeconds,
            leaks.Count == 0 ? "none found" : $"{leaks.Count} leak(s)",
            result.LayersProvenEarlier);
        return leaks;
    }

    /// <summary>
    /// Scans an image exactly as a build does: the base image's layers are left out, the rest is
    /// streamed from <c>docker save</c>, read ahead of the scanner so that docker is not held up while
    /// it searches. The benchmark calls it too.
    /// </summary>
    public static Task<ScanResult> ScanAsync(DockerClient client, string imageId, IReadOnlyList<string> baseLayers, IReadOnlyList<Needle> needles, CancellationToken cancellationToken) =>
        ScanAsync(client, imageId, LayerShortcuts.BaseOnly(baseLayers), needles, cancellationToken);

    /// <summary>Scans an image leaving out the layers <paramref name="shortcuts"/> names (the base image's, those proven clean earlier).</summary>
    public static async Task<ScanResult> ScanAsync(DockerClient client, string imageId, LayerShortcuts shortcuts, IReadOnlyList<Needle> needles, CancellationToken cancellationToken)
    {
        var scanner = new ImageScanner(needles, shortcuts);
        ScanResult? result = null;
        await client.SaveAsync(
            imageId,
            async (stream, token) =>
            {
                using var ahead = new ReadAheadStream(stream);
                result = await Task.Run(() => scanner.Scan(ahead, token), token);
            },
            cancellationToken);
        return result!;
    }

    private Diagnostic Describe(LeakFinding leak, string dockerfilePath, ParsedDockerfile dockerfile)
    {
        var line = leak.Step is null ? 0 : dockerfile.LineOfStep(leak.Step);
        var diagnostic = leak.Place switch
        {
            LeakPlace.Layer => Messages.SecretInLayer(leak.SecretId, leak.Needle.Description, redactor.Redact(leak.Location), leak.Step is null ? null : redactor.Redact(leak.Step)),
            LeakPlace.Config => Messages.SecretInConfig(leak.SecretId, leak.Needle.Description, leak.Location),
            _ => Messages.SecretInHistory(leak.SecretId, leak.Needle.Description, redactor.Redact(leak.Step ?? leak.Location)),
        };
        return line > 0 ? diagnostic.At(dockerfilePath, line) : diagnostic;
    }
}
