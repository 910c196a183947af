using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>The settings of one image build that are not part of the request itself.</summary>
internal sealed record ImageBuildOptions
{
    public string DockerCli { get; init; } = DockerClient.DefaultCli;

    /// <summary>ContainerRegistry: when set, the proven image is pushed there.</summary>
    public string? Registry { get; init; }

    public string? UserSecretsId { get; init; }

    public bool RunBuildChecks { get; init; } = true;

    public bool ScanImage { get; init; } = true;

    /// <summary>DockerBuildPruneOnLeak: after a leak, remove the build cache too.</summary>
    public bool PruneCacheOnLeak { get; init; }

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Whether the build runs on Windows: the one place the platform is decided.</summary>
    public bool Windows { get; init; }

    /// <summary>The clock that dates records under obj/ (the engine probe's ten minutes); replaced in tests.</summary>
    public Func<DateTime> UtcNow { get; init; } = () => DateTime.UtcNow;
}

/// <summary>What a successful build produced.</summary>
internal sealed record ImageBuildResult(string Repository, IReadOnlyList<string> Tags, string ImageId, string? Digest);

/// <summary>
/// One image build from start to end, without MSBuild, in six stages: validate, read the secrets,
/// check before the build, build, prove, publish. Expected failures are
/// <see cref="BuildSecretsException"/>s; everything else goes to the <see cref="IBuildLog"/>.
/// </summary>
internal sealed class ImageBuild(IBuildLog log, ImageBuildOptions options)
{
    /// <summary>Runs the build; returns what it built, or null when it stopped on reported errors.</summary>
    public async Task<ImageBuildResult?> RunAsync(BuildRequest request, CancellationToken graceful, CancellationToken forceful)
    {
        // A publish that changes nothing costs nothing: after a proven build, the engine is asked
        // meanwhile whether its image is still there (the recorded image names, nothing else).
        var asking = UpToDateCheck.AskEarly(options, request, graceful);

        // 1. Validate the input; secrets come back typed.
        if (new InputCheck(log, options).Run(request) is not { } input)
        {
            return null;
        }

        // 2. Read the secrets: the values stay in this process's memory, searched for, never logged.
        var values = SecretReader.ReadAll(input.Secrets);
        var rotation = SecretRotation.ForUser(options.GetEnvironmentVariable, options.Windows);
        var early = await UpToDateCheck.BeforeChecksAsync(log, options, request, input.Secrets, values, rotation, asking);
        if (early?.ImageId is { } unchanged)
        {
            // Nothing is logged from docker unless it pushes: only then is the log masked.
            return await ReuseAsync(request, early.Engine, unchanged, options.Registry is null ? new SecretRedactor() : SecretRedactor.For(values), graceful);
        }

        var redactor = SecretRedactor.For(values);

        // 3. Check before the build: refuse what would leak.
        if (new LeakPrevention(log, rotation).Run(request, input.Secrets, values) is not { } dockerfile)
        {
            return null;
        }

        // 4. Build an untagged image, unless nothing changed since the last proven one (decided
        // above already when the engine was known from its record).
        var engine = early?.Engine ?? await Engine.ConnectAsync(log, options, request, graceful);
        var publisher = new ImagePublisher(log, engine, redactor);
        var upToDate = early?.Check ?? UpToDateCheck.For(request, input.Secrets, values, rotation, engine, dockerfile, ImageBuilder.BaseImageOf(request, dockerfile));
        if (early is null && await upToDate.FindAsync(engine.Client, graceful) is { } current)
        {
            return await ReuseAsync(request, engine, current, redactor, graceful);
        }

        upToDate.Forget();
        var builder = new ImageBuilder(log, options, engine, redactor);
        var image = await builder.BuildAsync(request, dockerfile, input.Secrets, values, graceful, forceful);
        var cachedSteps = CachedSteps.For(request.ImageIdFile, rotation);
        log.ReportAll(cachedSteps.Check(image.CachedSteps, input.Secrets, values));

        // 5. Prove that no declared secret is in it.
        var leaks = image.PrintedSecrets
            .Concat(await new ImageProof(log, engine.Client, redactor, ProofRecords.For(request.ImageIdFile, rotation, values, BuildRecords.CodeVersion)).ProveAsync(request.Repository, request.Dockerfile, dockerfile, image, values, options.ScanImage, graceful))
            .ToArray();
        if (leaks.Length > 0)
        {
            await publisher.RejectAsync(image.ImageId, options.PruneCacheOnLeak, graceful);
            log.ReportAll(leaks);
            return null;
        }

        // 6. Publish: tag, push when there is a registry, export the cache; remember the secrets' versions.
        var digest = await publisher.PublishAsync(request, image.ImageId, push: options.Registry is not null, graceful);
        if (request.CacheTo.Count > 0)
        {
            await builder.ExportCacheAsync(request, image, input.Secrets, values, graceful, forceful);
        }

        cachedSteps.Record(values);
        if (options.ScanImage || values.Count == 0)
        {
            // An image that was not scanned is not proven: the next build builds and decides again.
            upToDate.Record(image.ImageId, image.BaseImageId);
        }
        log.Important("BuildSecrets: built image '{0}' ({1}) with tags {2} and secrets {3} in {4:0.0} s.",
            request.Repository,
            image.ImageId,
            string.Join(", ", request.Tags),
            input.Secrets.Count == 0 ? "(none)" : string.Join(", ", input.Secrets.Select(s => s.Id)),
            image.Duration.TotalSeconds);
        return new ImageBuildResult(request.Repository, request.Tags, image.ImageId, digest);
    }

    /// <summary>Takes an image that is up to date as it is: no build, no scan; pushed again when there is a registry.</summary>
    private async Task<ImageBuildResult> ReuseAsync(BuildRequest request, Engine engine, string imageId, SecretRedactor redactor, CancellationToken graceful)
    {
        log.Important("BuildSecrets: image '{0}' ({1}) with tags {2} is up to date: the Dockerfile, the files it takes, the build arguments, the secrets and the engine are as they were when it was built and proven clean, so it is neither built nor scanned again.",
            request.Repository, imageId, string.Join(", ", request.Tags));
        var pushed = options.Registry is null ? null : await new ImagePublisher(log, engine, redactor).PublishAsync(request, imageId, push: true, graceful, tagged: true);
        return new ImageBuildResult(request.Repository, request.Tags, imageId, pushed);
    }
}
