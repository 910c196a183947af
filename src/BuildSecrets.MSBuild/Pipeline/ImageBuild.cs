using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Validation;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>Where the build reports: coded diagnostics, and messages that are important (shown at minimal verbosity) or not.</summary>
internal interface IBuildLog
{
    void Report(Diagnostic diagnostic);

    void Message(bool important, string text);
}

/// <summary>The settings of one image build that are not part of the request itself.</summary>
internal sealed record ImageBuildOptions
{
    public string DockerCli { get; init; } = DockerClient.DefaultCli;

    public string? Registry { get; init; }

    public string? UserSecretsId { get; init; }

    public bool RunBuildChecks { get; init; } = true;

    public bool ScanImage { get; init; } = true;

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    public bool Windows { get; init; }
}

/// <summary>What a successful build produced.</summary>
internal sealed record ImageBuildResult(string Repository, IReadOnlyList<string> Tags, string ImageId, string? Digest);

/// <summary>
/// One image build from start to end, without MSBuild: checks the request, refuses what would leak,
/// builds with the client, watches the output, scans the image, pushes it. Expected failures are
/// <see cref="BuildSecretsException"/>s; everything else it has to say goes to the <see cref="IBuildLog"/>.
/// </summary>
internal sealed class ImageBuild
{
    private readonly IBuildLog _log;
    private readonly ImageBuildOptions _options;

    public ImageBuild(IBuildLog log, ImageBuildOptions options)
    {
        _log = log;
        _options = options;
    }

    /// <summary>Runs the build; returns what it built, or null when it stopped on reported errors.</summary>
    public async Task<ImageBuildResult?> RunAsync(BuildRequest request, CancellationToken graceful, CancellationToken forceful)
    {
        var validator = new BuildRequestValidator(_options.GetEnvironmentVariable, new UserSecrets(_options.UserSecretsId, _options.GetEnvironmentVariable, _options.Windows));
        request = WithoutAbsentOptionalSecrets(request, validator);
        var problems = validator.Validate(request);
        foreach (var problem in problems)
        {
            _log.Report(problem);
        }

        if (problems.Any(p => p.Severity == Severity.Error))
        {
            return null;
        }

        // The values stay in this task's memory: they are searched for, never logged or passed on.
        var values = ReadSecretValues(request.Secrets, validator);
        var dockerfile = ReadDockerfile(request.Dockerfile);
        var ignore = DockerIgnoreMatcher.Load(request.Context, request.Dockerfile);
        var prechecks = LeakPrecheck.Check(request, values.Select(v => new SearchableSecret(v.Key, SecretValues.PlainStrings(v.Value))).ToArray(), ignore.IsExcluded)
            .Concat(LeakPrecheck.CheckDockerfile(dockerfile, request.Dockerfile, request.Secrets))
            .ToArray();
        foreach (var problem in prechecks)
        {
            _log.Report(problem);
        }

        if (prechecks.Any(p => p.Severity == Severity.Error))
        {
            return null;
        }

        request = WithRotationVersions(request, values);

        var client = DockerClient.Locate(_options.DockerCli, _options.GetEnvironmentVariable("PATH"));
        var info = await client.InspectAsync(graceful);
        var mode = info.ChooseMode(_options.DockerCli);
        if (mode != BuildMode.Buildx)
        {
            // Podman exports cache to a repository itself (--cache-to), but has no builders and no metadata file.
            foreach (var (property, set) in new[] { ("DockerBuildCacheTo", mode == BuildMode.ClassicBuildKit && request.CacheTo.Count > 0), ("DockerBuilder", request.Builder is not null), ("DockerBuildMetadataFile", request.MetadataFile is not null) })
            {
                if (set)
                {
                    throw new BuildSecretsException(Messages.NeedsBuildx(_options.DockerCli, property, mode == BuildMode.Podman ? "podman build" : "docker build with DOCKER_BUILDKIT=1"));
                }
            }
        }
        Important("BuildSecrets: building image '{0}' from '{1}' with {2} (client {3}, engine {4}).",
            request.Repository,
            request.Dockerfile,
            mode switch { BuildMode.Buildx => "docker buildx build", BuildMode.Podman => "podman build", _ => "docker build (DOCKER_BUILDKIT=1)" },
            info.ClientVersion,
            info.ServerVersion);

        // Podman reads secrets from files only: values go to 0600 files in a 0700 folder, removed at the end whatever happens.
        using var secretFiles = mode == BuildMode.Podman && request.Secrets.Any(s => s.Kind != SecretSourceKind.File) ? SecretFiles.Create() : null;
        var buildRequest = secretFiles is null
            ? request
            : request with
            {
                Secrets = request.Secrets.Select(s => s.Kind == SecretSourceKind.File
                    ? s
                    : s with { Source = secretFiles.Write(s.Id, values[s.Id]), EnvironmentVariable = null, Value = null, UserSecret = null }).ToArray(),
            };

        // The arguments name secrets by id, file path and variable name only: they are safe to log.
        var arguments = DockerBuildArguments.Create(buildRequest, mode);
        Detail("BuildSecrets: {0} {1}", client.Executable, string.Join(" ", arguments.Select(QuoteForDisplay)));

        if (mode == BuildMode.Buildx && _options.RunBuildChecks && BuildChecks.Supported(info.BuildxVersion))
        {
            foreach (var finding in await client.CheckAsync(arguments, graceful))
            {
                _log.Report(Messages.BuildCheck(finding.Rule, finding.Description, request.Dockerfile, finding.Line));
            }
        }

        var redactor = new SecretRedactor();
        foreach (var value in values)
        {
            redactor.Add(value.Key, value.Value);
        }

        var progress = new BuildKitProgressLog();
        var printed = new Dictionary<string, string>(StringComparer.Ordinal);
        var outcome = await client.BuildAsync(
            arguments,
            mode,
            request.ImageIdFile,
            request.Secrets.Where(secret => secret.PassedThroughChildEnvironment).ToDictionary(secret => secret.ChildVariable!, secret => values[secret.Id]),
            progress,
            line => LogProgress(redactor, progress, printed, line),
            forceful,
            graceful);
        graceful.ThrowIfCancellationRequested();

        var leaks = printed.Select(leak => Messages.SecretInBuildOutput(leak.Key, redactor.Redact(leak.Value))).ToList();
        if (outcome.ExitCode != 0)
        {
            foreach (var leak in leaks)
            {
                _log.Report(leak);
            }

            throw new BuildSecretsException(Messages.BuildFailed(
                redactor.Redact(outcome.Progress.FailedStep), outcome.ExitCode, redactor.Redact(outcome.Progress.FailureDetail)));
        }

        if (outcome.ImageId is null)
        {
            throw new BuildSecretsException(Messages.BuildProducedNoImage(request.ImageIdFile));
        }

        leaks.AddRange(await ScanAsync(client, request, dockerfile, values, outcome.ImageId, redactor, graceful));
        if (leaks.Count > 0)
        {
            await RejectImageAsync(client, request, outcome.ImageId, mode, leaks, graceful);
            return null;
        }

        string? digest = null;
        if (_options.Registry is not null)
        {
            foreach (var reference in request.References)
            {
                var push = await client.PushAsync(
                    reference, line => Detail(redactor.Redact(line)), graceful, mode == BuildMode.Podman ? request.ImageIdFile + ".pushed" : null);
                digest ??= push;
                Important("BuildSecrets: pushed '{0}' ({1}).", reference, push ?? "digest not reported");
            }
        }

        Important("BuildSecrets: built image '{0}' ({1}) with tags {2} and secrets {3} in {4} s.",
            request.Repository,
            outcome.ImageId,
            string.Join(", ", request.Tags),
            request.Secrets.Count == 0 ? "(none)" : string.Join(", ", request.Secrets.Select(s => s.Id)),
            outcome.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture));

        return new ImageBuildResult(request.Repository, request.Tags, outcome.ImageId, digest);
    }

    /// <summary>Leaves out the optional secrets whose source is absent, saying so.</summary>
    private BuildRequest WithoutAbsentOptionalSecrets(BuildRequest request, BuildRequestValidator validator)
    {
        var kept = new List<SecretDeclaration>();
        foreach (var secret in request.Secrets)
        {
            if (!secret.Required && validator.IsAbsent(secret))
            {
                Important("BuildSecrets: the optional DockerSecret '{0}' has no value here ({1}); the build runs without it.", secret.Id, Describe(secret));
            }
            else
            {
                kept.Add(secret);
            }
        }

        return request with { Secrets = kept };
    }

    /// <summary>Adds BUILDSECRETS_&lt;ID&gt;_VERSION build arguments for the secrets with Rotate="true".</summary>
    private BuildRequest WithRotationVersions(BuildRequest request, IReadOnlyDictionary<string, string> values)
    {
        var rotated = request.Secrets.Where(s => s.Rotate).ToArray();
        if (rotated.Length == 0)
        {
            return request;
        }

        var rotation = new SecretRotation(SecretRotation.DefaultKeyFile(_options.GetEnvironmentVariable, _options.Windows));
        var args = request.BuildArgs.ToList();
        foreach (var secret in rotated)
        {
            var value = values.TryGetValue(secret.Id, out var found) ? found : string.Empty;
            var name = SecretRotation.ArgumentName(secret.Id);
            args.Add(new BuildArgument(name, rotation.Version(value)));
            Detail("BuildSecrets: steps that declare ARG {0} re-run when DockerSecret '{1}' changes.", name, secret.Id);
        }

        return request with { BuildArgs = args };
    }

    private static string Describe(SecretDeclaration secret) => secret.Kind switch
    {
        SecretSourceKind.File => $"the file '{secret.Source}' does not exist",
        SecretSourceKind.EnvironmentVariable => $"the environment variable '{secret.EnvironmentVariable}' is not set",
        SecretSourceKind.UserSecret => $"the user secret '{secret.UserSecret}' is not set",
        _ => "its Value is empty",
    };

    private static ParsedDockerfile ReadDockerfile(string path)
    {
        try
        {
            return DockerfileReader.Parse(File.ReadAllText(path));
        }
        catch (DockerfileParseException exception)
        {
            throw new BuildSecretsException(Messages.DockerfileUnreadable(path, exception.Line, exception.Message));
        }
    }

    /// <summary>The value of every declared secret that has one, by id.</summary>
    private IReadOnlyDictionary<string, string> ReadSecretValues(IEnumerable<SecretDeclaration> secrets, BuildRequestValidator validator)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var secret in secrets)
        {
            var value = secret.Kind switch
            {
                SecretSourceKind.File => File.ReadAllText(secret.Source!),
                SecretSourceKind.EnvironmentVariable => _options.GetEnvironmentVariable(secret.EnvironmentVariable!),
                SecretSourceKind.UserSecret => validator.LookupUserSecret(secret).Value,
                _ => secret.Value,
            };
            if (!string.IsNullOrEmpty(value))
            {
                values.Add(secret.Id, value!);
            }
        }

        return values;
    }

    /// <summary>
    /// Proves the built image holds none of the declared secrets: streams 'docker save' through the
    /// scanner (layers added on top of the base image, config, history) and returns the leaks found.
    /// </summary>
    private async Task<IReadOnlyList<Diagnostic>> ScanAsync(
        DockerClient client, BuildRequest request, ParsedDockerfile dockerfile, IReadOnlyDictionary<string, string> values, string imageId, SecretRedactor redactor, CancellationToken graceful)
    {
        if (values.Count == 0)
        {
            return [];
        }

        if (!_options.ScanImage)
        {
            _log.Report(Messages.ScanSkipped());
            return [];
        }

        foreach (var value in values)
        {
            if (SecretValues.WhyNotVerifiable(value.Value) is { } reason)
            {
                _log.Report(Messages.SecretNotVerifiable(value.Key, reason));
            }
        }

        var needles = values.SelectMany(v => SecretValues.Needles(v.Key, v.Value)).ToArray();
        if (needles.Length == 0)
        {
            return [];
        }

        var baseImage = dockerfile.FinalBaseImage(request.BuildArgs.GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.Last().Value));
        var baseLayers = baseImage is null ? null : await client.LayerDiffIdsAsync(baseImage, graceful);
        if (baseImage is not null && baseLayers is null)
        {
            Detail("BuildSecrets: the base image '{0}' is not in the engine; every layer is scanned.", baseImage);
        }

        var scanner = new ImageScanner(needles, new HashSet<string>(baseLayers ?? [], StringComparer.Ordinal));
        ScanResult? result = null;
        var started = DateTime.UtcNow;
        try
        {
            await client.SaveAsync(imageId, (stream, token) => Task.Run(() => result = scanner.Scan(stream, token), token), graceful);
        }
        catch (UnsupportedLayerException exception)
        {
            return [Messages.LayerNotReadable(exception.Entry, exception.Compression)];
        }
        catch (ImageArchiveException exception)
        {
            return [Messages.ScanFailed($"the archive of 'docker save' is not understood: {exception.Message}.")];
        }
        catch (BuildSecretsException exception) when (exception.Diagnostic.Code == "BSEC5006")
        {
            // 'docker save' failed: the image is not proven clean, so it is rejected like a leaking one.
            return [exception.Diagnostic];
        }

        var leaks = result!.Leaks.Select(leak => leak.Where switch
        {
            "layer" => Messages.SecretInLayer(leak.SecretId, redactor.Redact(leak.Location), leak.Step is null ? null : redactor.Redact(leak.Step)),
            "config" => Messages.SecretInConfig(leak.SecretId, leak.Location),
            _ => Messages.SecretInHistory(leak.SecretId, redactor.Redact(leak.Step ?? leak.Location)),
        }).ToList();

        Important("BuildSecrets: scanned image '{0}' for secrets {1}: {2} layer(s) added on top of the base image ({4} base layer(s) left out; {3:0.0} MB read), the config and the history, in {5:0.0} s: {6}.",
            request.Repository,
            string.Join(", ", values.Keys),
            result.LayersScanned,
            result.BytesScanned / 1048576.0,
            result.LayersSkipped,
            (DateTime.UtcNow - started).TotalSeconds,
            leaks.Count == 0 ? "none found" : $"{leaks.Count} leak(s)");
        return leaks;
    }

    /// <summary>Removes the tags of an image found leaking, then reports why.</summary>
    private async Task RejectImageAsync(DockerClient client, BuildRequest request, string imageId, BuildMode mode, IReadOnlyList<Diagnostic> leaks, CancellationToken graceful)
    {
        await client.RemoveTagsAsync(imageId, request.References.ToArray(), mode, graceful);
        foreach (var leak in leaks)
        {
            _log.Report(leak);
        }
    }

    private void LogProgress(SecretRedactor redactor, BuildKitProgressLog progress, Dictionary<string, string> printed, string line)
    {
        var redacted = redactor.Redact(line, out var secretIds);
        foreach (var id in secretIds)
        {
            lock (printed)
            {
                if (!printed.ContainsKey(id))
                {
                    printed[id] = progress.StepOf(line);
                }
            }
        }

        // Step starts and errors show at minimal verbosity (progress in 'dotnet publish' and Visual Studio);
        // everything else at normal verbosity.
        var important = (line.StartsWith("#", StringComparison.Ordinal) && (line.Contains(" [") || line.Contains(" ERROR")))
            || line.StartsWith("STEP ", StringComparison.Ordinal);
        _log.Message(important, redacted);
    }

    private static string QuoteForDisplay(string argument) =>
        argument.Length > 0 && argument.IndexOfAny([' ', '"', '\'', '\t']) < 0 ? argument : "'" + argument.Replace("'", "'\\''") + "'";

    private void Important(string format, params object?[] args) => _log.Message(true, Format(format, args));

    private void Detail(string format, params object?[] args) => _log.Message(false, Format(format, args));

    private static string Format(string format, object?[] args) => args.Length == 0 ? format : string.Format(CultureInfo.InvariantCulture, format, args);
}
