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
    /// <summary>Tags every reference and pushes them when <paramref name="push"/>; returns the first digest a push reported.</summary>
    public async Task<string?> PublishAsync(BuildRequest request, string imageId, bool push, CancellationToken cancellationToken)
    {
        foreach (var reference in request.References)
        {
            await engine.Client.TagAsync(imageId, reference, cancellationToken);
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
