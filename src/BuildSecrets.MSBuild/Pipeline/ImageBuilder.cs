using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Progress;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>What the build produced: an untagged image, and the secrets its output printed.</summary>
internal sealed record BuiltImage(string ImageId, TimeSpan Duration, IReadOnlyList<BuildArgument> BuildArgs, IReadOnlyList<Diagnostic> PrintedSecrets)
{
    /// <summary>The steps BuildKit took from its cache.</summary>
    public IReadOnlyList<string> CachedSteps { get; init; } = [];

    /// <summary>The final stage's base image as the Dockerfile names it (ARGs resolved); null for scratch.</summary>
    public string? BaseImage { get; init; }

    /// <summary>The base image's layers (diff ids), looked up before the build; null when the engine did not have it then.</summary>
    public IReadOnlyList<string>? BaseLayers { get; init; }

    /// <summary>The base image's id, looked up before the build; null when the engine did not have it then.</summary>
    public string? BaseImageId { get; init; }
}

/// <summary>
/// Stage 4, build: runs the client with the secrets handed over safely, streams its output to the
/// log (masked), and explains a failure. The image is not tagged: only a proven image is.
/// </summary>
internal sealed class ImageBuilder(IBuildLog log, ImageBuildOptions options, Engine engine, SecretRedactor redactor)
{
    public async Task<BuiltImage> BuildAsync(
        BuildRequest request,
        ParsedDockerfile dockerfile,
        IReadOnlyList<DeclaredSecret> secrets,
        IReadOnlyDictionary<string, byte[]> values,
        CancellationToken graceful,
        CancellationToken forceful)
    {
        // The cache is exported only once the image is proven clean (ExportCacheAsync).
        request = WithRotationVersions(request, secrets, values) with { CacheTo = [] };
        log.Important("BuildSecrets: building image '{0}' from '{1}' with {2} (client {3}, engine {4}).",
            request.Repository, request.Dockerfile, engine.BuildCommand, engine.Info.ClientVersion, engine.Info.ServerVersion);

        // The base image is identified before the build, by its layers' digests: afterwards a name
        // could already stand for something else.
        var baseImage = BaseImageOf(request, dockerfile);
        var baseLayers = baseImage is null ? null : await engine.Client.InspectLayersAsync(baseImage, graceful);

        using var handoff = SecretHandoff.Create(secrets, values, engine.ReadsSecretsFromEnvironment);
        var arguments = DockerBuildArguments.Create(request, handoff.References, engine.Mode);
        log.Detail("BuildSecrets: {0} {1}", engine.Client.Executable, redactor.Redact(string.Join(" ", arguments.Select(QuoteForDisplay))));

        if (engine.Mode == BuildMode.Buildx && options.RunBuildChecks && BuildChecks.Supported(engine.Info.BuildxVersion))
        {
            foreach (var finding in await CheckAsync(request, arguments, graceful))
            {
                log.Report(Messages.BuildCheck(finding.Rule, finding.Description, request.Dockerfile, finding.Line));
            }
        }

        var progress = new BuildKitProgressLog();
        var printed = new Dictionary<string, string>(StringComparer.Ordinal);
        var output = new OutputRedactor(redactor, (line, kind, secretIds) => OnLine(progress, printed, line, kind, secretIds));
        var outcome = await engine.Client.BuildAsync(
            arguments, engine.Mode, request.ImageIdFile, handoff.ChildEnvironment, line => output.Add(line, progress.Add(line)), forceful, graceful);
        output.Complete();
        graceful.ThrowIfCancellationRequested();

        var printedSecrets = printed.Select(leak => Messages.SecretInBuildOutput(leak.Key, redactor.Redact(leak.Value))).ToArray();
        if (outcome.ExitCode != 0)
        {
            log.ReportAll(printedSecrets);
            throw new BuildSecretsException(Messages.BuildFailed(redactor.Redact(progress.FailedStep), outcome.ExitCode, redactor.Redact(progress.FailureDetail)));
        }

        if (outcome.ImageId is null)
        {
            throw new BuildSecretsException(Messages.BuildProducedNoImage(request.ImageIdFile));
        }

        return new BuiltImage(outcome.ImageId, outcome.Duration, request.BuildArgs, printedSecrets)
        {
            BaseImage = baseImage,
            BaseLayers = baseLayers?.DiffIds,
            BaseImageId = baseLayers?.Id,
            CachedSteps = progress.CachedSteps,
        };
    }

    /// <summary>The final stage's base image as the Dockerfile names it, with the build arguments applied; null for scratch.</summary>
    public static string? BaseImageOf(BuildRequest request, ParsedDockerfile dockerfile) =>
        dockerfile.FinalBaseImage(request.BuildArgs.GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.Last().Value));

    /// <summary>
    /// Exports the build cache (DockerBuildCacheTo) of a proven image: the same build again (its
    /// build arguments, rotation versions included), taken from the cache, with --cache-to. A build
    /// that makes other layers is refused, since they were not scanned.
    /// </summary>
    public async Task ExportCacheAsync(BuildRequest request, BuiltImage proven, IReadOnlyList<DeclaredSecret> secrets, IReadOnlyDictionary<string, byte[]> values, CancellationToken graceful, CancellationToken forceful)
    {
        var provenImageId = proven.ImageId;
        request = request with { BuildArgs = proven.BuildArgs, ImageIdFile = request.ImageIdFile + ".cache" };
        using var handoff = SecretHandoff.Create(secrets, values, engine.ReadsSecretsFromEnvironment);
        var arguments = DockerBuildArguments.Create(request, handoff.References, engine.Mode);
        var output = new OutputRedactor(redactor, (line, _, _) => log.Detail(line));
        var outcome = await engine.Client.BuildAsync(arguments, engine.Mode, request.ImageIdFile, handoff.ChildEnvironment, line => output.Add(line, ProgressLineKind.Other), forceful, graceful);
        output.Complete();
        graceful.ThrowIfCancellationRequested();
        if (outcome.ExitCode != 0 || outcome.ImageId is null)
        {
            throw new BuildSecretsException(Messages.BuildFailed("'(cache export, DockerBuildCacheTo)'", outcome.ExitCode, string.Empty));
        }

        if (outcome.ImageId != provenImageId)
        {
            // The containerd image store names an image by its index, which holds a provenance
            // attestation that differs between two runs of the same build: what must match is the layers.
            var provenLayers = await engine.Client.LayerDiffIdsAsync(provenImageId, graceful);
            var exportedLayers = await engine.Client.LayerDiffIdsAsync(outcome.ImageId, graceful);
            if (provenLayers is null || exportedLayers is null || !provenLayers.SequenceEqual(exportedLayers))
            {
                throw new BuildSecretsException(Messages.CacheExportDiffers(provenImageId, outcome.ImageId));
            }

            await engine.Client.RemoveImageAsync(outcome.ImageId, graceful);
        }

        log.Important("BuildSecrets: exported the build cache of the proven image to {0}.", string.Join(", ", request.CacheTo));
    }

    /// <summary>
    /// BuildKit's build checks: those of the last complete run when nothing they judge changed
    /// since (<see cref="BuildCheckRecord"/>), else a new run, recorded when it completes.
    /// </summary>
    private async Task<IReadOnlyList<BuildCheckFinding>> CheckAsync(BuildRequest request, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var record = BuildCheckRecord.For(request, BuildChecks.Arguments(arguments), engine.Info);
        if (record.Read() is { } recorded)
        {
            log.Detail("BuildSecrets: build checks not run again: the Dockerfile, its .dockerignore and the build's arguments are as when they last ran; their {0} finding(s) follow.", recorded.Count);
            return recorded;
        }

        var run = await engine.Client.CheckAsync(arguments, cancellationToken);
        var findings = run.Findings.Select(f => f with { Description = redactor.Redact(f.Description) }).ToArray();
        if (run.Complete)
        {
            record.Write(findings);
        }

        return findings;
    }

    /// <summary>Adds BUILDSECRETS_&lt;ID&gt;_VERSION build arguments for the secrets with Rotate="true".</summary>
    private BuildRequest WithRotationVersions(BuildRequest request, IReadOnlyList<DeclaredSecret> secrets, IReadOnlyDictionary<string, byte[]> values)
    {
        var rotated = secrets.Where(s => s.Rotate).ToArray();
        if (rotated.Length == 0)
        {
            return request;
        }

        var rotation = new SecretRotation(SecretRotation.DefaultKeyFile(options.GetEnvironmentVariable, options.Windows));
        var args = request.BuildArgs.ToList();
        foreach (var secret in rotated)
        {
            var name = SecretRotation.ArgumentName(secret.Id);
            args.Add(new BuildArgument(name, rotation.Version(values.TryGetValue(secret.Id, out var value) ? value : [])));
            log.Detail("BuildSecrets: steps that declare ARG {0} re-run when DockerSecret '{1}' changes.", name, secret.Id);
        }

        return request with { BuildArgs = args };
    }

    /// <summary>Logs a masked line (step starts and errors as important) and remembers which secrets were printed, and in which step.</summary>
    private void OnLine(BuildKitProgressLog progress, Dictionary<string, string> printed, string masked, ProgressLineKind kind, IReadOnlyList<string> secretIds)
    {
        foreach (var id in secretIds)
        {
            lock (printed)
            {
                if (!printed.ContainsKey(id))
                {
                    printed[id] = progress.StepOf(masked);
                }
            }
        }

        log.Message(kind != ProgressLineKind.Other, masked);
    }

    private static string QuoteForDisplay(string argument) =>
        argument.Length > 0 && argument.IndexOfAny([' ', '"', '\'', '\t']) < 0 ? argument : "'" + argument.Replace("'", "'\\''") + "'";
}
