using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// Stage 6, publish: tags the proven image and pushes it to the registry when there is one; or,
/// for an image found leaking, removes it, so no tag or dangling image holds the leak.
/// </summary>
internal sealed class ImagePublisher(IBuildLog log, Engine engine, SecretRedactor redactor)
{
    /// <summary>Tags every reference (unless <paramref name="tagged"/>) and pushes them when <paramref name="push"/>; returns the first digest a push reported.</summary>
    public async Task<string?> PublishAsync(BuildRequest request, string imageId, bool push, CancellationToken cancellationToken, bool tagged = false)
    {
        if (!tagged)
        {
            foreach (var reference in request.References)
            {
                await engine.Client.TagAsync(imageId, reference, cancellationToken);
            }

            NameImageInMetadataFile(request);
        }

        if (!push)
        {
            return null;
        }

        string? digest = null;
        foreach (var reference in request.References)
        {
            // podman push prints no digest: it writes it to a file.
            var pushed = await engine.Client.PushAsync(
                reference, line => log.Detail(redactor.Redact(line)), cancellationToken, engine.Mode == BuildMode.Podman ? request.ImageIdFile + ".pushed" : null);
            digest ??= pushed;
            log.Important("BuildSecrets: pushed '{0}' ({1}).", reference, pushed ?? "digest not reported");
        }

        return digest;
    }

    /// <summary>
    /// buildx writes the image's names into the metadata file (<c>image.name</c>) when the build tags
    /// it; this build tags only after the proof, so the names are written in once the tags exist.
    /// </summary>
    private static void NameImageInMetadataFile(BuildRequest request)
    {
        if (request.MetadataFile is not { } file || !System.IO.File.Exists(file))
        {
            return;
        }

        var text = System.IO.File.ReadAllText(file);
        // References are validated names and tags: no quote or backslash can reach the JSON string.
        var field = "\"image.name\": \"" + string.Join(",", request.References) + "\"";
        var start = text.IndexOf('{');
        var named = NameField.IsMatch(text) ? NameField.Replace(text, field, 1)
            : start >= 0 ? text.Substring(0, start + 1) + field + (text.Substring(start + 1).Trim().StartsWith("}", StringComparison.Ordinal) ? string.Empty : ",") + text.Substring(start + 1)
            : text;
        System.IO.File.WriteAllText(file, named);
    }

    private static readonly System.Text.RegularExpressions.Regex NameField = new(@"""image\.name""\s*:\s*""[^""]*""", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Removes an image that was never tagged because it is not proven clean, and with <paramref name="pruneCache"/> the build cache too.</summary>
    public async Task RejectAsync(string imageId, bool pruneCache, CancellationToken cancellationToken)
    {
        await engine.Client.RemoveImageAsync(imageId, cancellationToken);
        if (pruneCache)
        {
            await engine.Client.PruneBuildCacheAsync(engine.Mode, cancellationToken);
            log.Important("BuildSecrets: removed the build cache, so that no cached step holds the leak (DockerBuildPruneOnLeak).");
        }
    }
}
