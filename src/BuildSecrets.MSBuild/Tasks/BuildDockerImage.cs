using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AsyncTask = System.Threading.Tasks.Task;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Validation;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace BuildSecrets.MSBuild.Tasks;

/// <summary>
/// Builds the project's container image with BuildKit, passing the DockerSecret items as secret
/// mounts. Translates items to a <see cref="BuildRequest"/>, validates it, runs the client and logs.
/// </summary>
public sealed class BuildDockerImage : MSBuildTask, ICancelableTask
{
    private static readonly TimeSpan ForcefulStopDelay = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _graceful = new();
    private readonly CancellationTokenSource _forceful = new();

    [Required]
    public string ProjectDirectory { get; set; } = string.Empty;

    /// <summary>The project file, named by the errors about its items and properties.</summary>
    public string? ProjectFile { get; set; }

    [Required]
    public string Dockerfile { get; set; } = string.Empty;

    [Required]
    public string Context { get; set; } = string.Empty;

    [Required]
    public string Repository { get; set; } = string.Empty;

    [Required]
    public string ImageIdFile { get; set; } = string.Empty;

    public string[] Tags { get; set; } = [];

    public ITaskItem[] Secrets { get; set; } = [];

    public ITaskItem[] BuildArgs { get; set; } = [];

    /// <summary>DockerSsh items: the agent (<c>default</c>) or key files (Source metadata).</summary>
    public ITaskItem[] Ssh { get; set; } = [];

    public string? Network { get; set; }

    public string DockerCli { get; set; } = "docker";

    public string? Target { get; set; }

    public string[] Platforms { get; set; } = [];

    /// <summary>ContainerLabel items: the label name, with its Value metadata.</summary>
    public ITaskItem[] Labels { get; set; } = [];

    public bool Pull { get; set; }

    public bool NoCache { get; set; }

    public string[] CacheFrom { get; set; } = [];

    public string[] CacheTo { get; set; } = [];

    public string? Builder { get; set; }

    public string? MetadataFile { get; set; }

    public string[] ExtraArguments { get; set; } = [];

    /// <summary>ContainerRegistry: when set, the image is named after it and pushed there once it is proven clean.</summary>
    public string? Registry { get; set; }

    /// <summary>The digest of the pushed image (<c>sha256:...</c>), when it was pushed.</summary>
    [Output]
    public string? ImageDigest { get; private set; }

    /// <summary>Whether BuildKit's build checks run first where buildx has them (0.15 and later): DockerBuildChecks.</summary>
    public bool RunBuildChecks { get; set; } = true;

    /// <summary>The project's UserSecretsId, for UserSecret secrets.</summary>
    public string? UserSecretsId { get; set; }

    /// <summary>Whether the built image is scanned for the declared secrets (DockerSecretScan).</summary>
    public bool ScanImage { get; set; } = true;

    /// <summary>The built image's id (<c>sha256:...</c>).</summary>
    [Output]
    public string? ImageId { get; private set; }

    /// <summary>One item per tag (<c>repository:tag</c>) with Repository, Tag and ImageId metadata.</summary>
    [Output]
    public ITaskItem[] Images { get; private set; } = [];

    /// <summary>Where environment variables are read from; replaced in tests.</summary>
    internal Func<string, string?> GetEnvironmentVariable { get; set; } = Environment.GetEnvironmentVariable;

    public void Cancel()
    {
        _graceful.Cancel();
        _forceful.CancelAfter(ForcefulStopDelay);
    }

    public override bool Execute()
    {
        try
        {
            ExecuteAsync().GetAwaiter().GetResult();
        }
        catch (BuildSecretsException exception)
        {
            Report(exception.Diagnostic);
        }
        catch (OperationCanceledException) when (_graceful.IsCancellationRequested)
        {
            Report(Messages.BuildCanceled());
            return false;
        }

        return !Log.HasLoggedErrors;
    }

    private async AsyncTask ExecuteAsync()
    {
        var validator = new BuildRequestValidator(
            GetEnvironmentVariable,
            new UserSecrets(UserSecretsId, GetEnvironmentVariable, System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows)));
        var request = WithoutAbsentOptionalSecrets(CreateRequest(), validator);
        var problems = validator.Validate(request);
        foreach (var problem in problems)
        {
            Report(problem);
        }

        if (problems.Any(p => p.Severity == Severity.Error))
        {
            return;
        }

        // The values stay in this task's memory: they are searched for, never logged or passed on.
        var values = ReadSecretValues(request.Secrets, validator);
        var dockerfile = ReadDockerfile(request.Dockerfile);
        var ignore = DockerIgnoreMatcher.Load(request.Context, request.Dockerfile);
        var prechecks = LeakPrecheck.Check(request, values.Select(v => new SearchableSecret(v.Id, SecretValues.PlainStrings(v.Value))).ToArray(), ignore.IsExcluded)
            .Concat(LeakPrecheck.CheckDockerfile(dockerfile, request.Dockerfile, request.Secrets))
            .ToArray();
        foreach (var problem in prechecks)
        {
            Report(problem);
        }

        if (prechecks.Any(p => p.Severity == Severity.Error))
        {
            return;
        }

        request = WithRotationVersions(request, values);

        var client = DockerClient.Locate(DockerCli, GetEnvironmentVariable("PATH"));
        var info = await client.InspectAsync(_graceful.Token);
        var mode = info.ChooseMode(DockerCli);
        if (mode == BuildMode.ClassicBuildKit)
        {
            foreach (var (property, set) in new[] { ("DockerBuildCacheTo", request.CacheTo.Count > 0), ("DockerBuilder", request.Builder is not null), ("DockerBuildMetadataFile", request.MetadataFile is not null) })
            {
                if (set)
                {
                    throw new BuildSecretsException(Messages.NeedsBuildx(DockerCli, property));
                }
            }
        }
        Log.LogMessage(
            MessageImportance.High,
            "BuildSecrets: building image '{0}' from '{1}' with {2} (client {3}, engine {4}).",
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
                    : s with { Source = secretFiles.Write(s.Id, values.First(v => v.Id == s.Id).Value), EnvironmentVariable = null, Value = null, UserSecret = null }).ToArray(),
            };

        // The arguments name secrets by id, file path and variable name only: they are safe to log.
        var arguments = DockerBuildArguments.Create(buildRequest, mode);
        Log.LogMessage(MessageImportance.Normal, "BuildSecrets: {0} {1}", client.Executable, string.Join(" ", arguments.Select(QuoteForDisplay)));

        if (mode == BuildMode.Buildx && RunBuildChecks && BuildChecks.Supported(info.BuildxVersion))
        {
            foreach (var finding in await client.CheckAsync(arguments, _graceful.Token))
            {
                Report(Messages.BuildCheck(finding.Rule, finding.Description, request.Dockerfile, finding.Line));
            }
        }

        var redactor = new SecretRedactor();
        foreach (var (id, value) in values)
        {
            redactor.Add(id, value);
        }

        var progress = new BuildKitProgressLog();
        var printed = new Dictionary<string, string>(StringComparer.Ordinal);
        var outcome = await client.BuildAsync(
            arguments,
            mode,
            request.ImageIdFile,
            request.Secrets.Where(secret => secret.PassedThroughChildEnvironment).ToDictionary(secret => secret.ChildVariable!, secret => values.First(v => v.Id == secret.Id).Value),
            progress,
            line => LogProgress(redactor, progress, printed, line),
            _forceful.Token,
            _graceful.Token);
        _graceful.Token.ThrowIfCancellationRequested();

        if (outcome.ExitCode != 0)
        {
            foreach (var leak in printed)
            {
                Report(Messages.SecretInBuildOutput(leak.Key, redactor.Redact(leak.Value)));
            }

            throw new BuildSecretsException(Messages.BuildFailed(
                redactor.Redact(outcome.Progress.FailedStep), outcome.ExitCode, redactor.Redact(outcome.Progress.FailureDetail)));
        }

        if (outcome.ImageId is null)
        {
            throw new BuildSecretsException(Messages.BuildProducedNoImage(request.ImageIdFile));
        }

        var leaks = printed.Select(leak => Messages.SecretInBuildOutput(leak.Key, redactor.Redact(leak.Value))).ToList();
        leaks.AddRange(await ScanAsync(client, request, dockerfile, values, outcome.ImageId, redactor));
        if (leaks.Count > 0)
        {
            await RejectImageAsync(client, request, outcome.ImageId, mode, leaks);
            return;
        }

        if (Trimmed(Registry) is not null)
        {
            foreach (var reference in request.References)
            {
                var push = await client.PushAsync(reference, line => Log.LogMessage(MessageImportance.Normal, redactor.Redact(line)), _graceful.Token);
                ImageDigest ??= push;
                Log.LogMessage(MessageImportance.High, "BuildSecrets: pushed '{0}' ({1}).", reference, push ?? "digest not reported");
            }
        }

        ImageId = outcome.ImageId;
        Images = request.Tags.Select(tag => (ITaskItem)new TaskItem(
            $"{request.Repository}:{tag}",
            new Dictionary<string, string>
            {
                ["Repository"] = request.Repository,
                ["Tag"] = tag,
                ["ImageId"] = outcome.ImageId,
                ["Digest"] = ImageDigest ?? string.Empty,
            })).ToArray();

        Log.LogMessage(
            MessageImportance.High,
            "BuildSecrets: built image '{0}' ({1}) with tags {2} and secrets {3} in {4} s.",
            request.Repository,
            outcome.ImageId,
            string.Join(", ", request.Tags),
            request.Secrets.Count == 0 ? "(none)" : string.Join(", ", request.Secrets.Select(s => s.Id)),
            outcome.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture));
    }

    private BuildRequest CreateRequest() => new()
    {
        Dockerfile = FullPath(Dockerfile),
        Context = FullPath(Context),
        Repository = Trimmed(Registry) is { } registry ? registry.TrimEnd('/') + "/" + Repository.Trim() : Repository.Trim(),
        Tags = Tags.Select(t => t.Trim()).Where(t => t.Length > 0).DefaultIfEmpty("latest").ToArray(),
        Secrets = Secrets.Select(CreateSecret).ToArray(),
        BuildArgs = BuildArgs.Select(item => new BuildArgument(item.ItemSpec.Trim(), item.GetMetadata("Value"))).ToArray(),
        Ssh = Ssh.Select(item => new SshForward(item.ItemSpec.Trim(), Metadata(item, "Source") is { } key ? FullPath(key) : null)).ToArray(),
        Network = Trimmed(Network),
        ImageIdFile = FullPath(ImageIdFile),
        Target = Trimmed(Target),
        Platforms = List(Platforms),
        Labels = Labels.Select(l => new KeyValuePair<string, string>(l.ItemSpec.Trim(), l.GetMetadata("Value"))).ToArray(),
        Pull = Pull,
        NoCache = NoCache,
        CacheFrom = List(CacheFrom),
        CacheTo = List(CacheTo),
        Builder = Trimmed(Builder),
        MetadataFile = Trimmed(MetadataFile) is { } metadata ? FullPath(metadata) : null,
        ExtraArguments = List(ExtraArguments),
    };

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();

    private static string[] List(string[] values) => values.Select(v => v.Trim()).Where(v => v.Length > 0).ToArray();

    private SecretDeclaration CreateSecret(ITaskItem item, int index)
    {
        var hasValue = item.MetadataNames.Cast<string>().Any(name => string.Equals(name, "Value", StringComparison.OrdinalIgnoreCase));
        var userSecret = Metadata(item, "UserSecret");
        return new SecretDeclaration(
            item.ItemSpec.Trim(),
            Metadata(item, "Source") is { } source ? FullPath(source) : null,
            Metadata(item, "EnvironmentVariable"))
        {
            Value = hasValue ? item.GetMetadata("Value") : null,
            UserSecret = userSecret,
            ChildVariable = hasValue || userSecret is not null ? "BUILDSECRETS_SECRET_" + index.ToString(CultureInfo.InvariantCulture) : null,
            Required = !string.Equals(Metadata(item, "Required"), "false", StringComparison.OrdinalIgnoreCase),
            Rotate = string.Equals(Metadata(item, "Rotate"), "true", StringComparison.OrdinalIgnoreCase),
        };
    }

    /// <summary>Leaves out the optional secrets whose source is absent, saying so.</summary>
    private BuildRequest WithoutAbsentOptionalSecrets(BuildRequest request, BuildRequestValidator validator)
    {
        var kept = new List<SecretDeclaration>();
        foreach (var secret in request.Secrets)
        {
            if (!secret.Required && validator.IsAbsent(secret))
            {
                Log.LogMessage(MessageImportance.High, "BuildSecrets: the optional DockerSecret '{0}' has no value here ({1}); the build runs without it.", secret.Id, Describe(secret));
            }
            else
            {
                kept.Add(secret);
            }
        }

        return request with { Secrets = kept };
    }

    /// <summary>Adds BUILDSECRETS_&lt;ID&gt;_VERSION build arguments for the secrets with Rotate="true".</summary>
    private BuildRequest WithRotationVersions(BuildRequest request, IReadOnlyList<(string Id, string Value)> values)
    {
        var rotated = request.Secrets.Where(s => s.Rotate).ToArray();
        if (rotated.Length == 0)
        {
            return request;
        }

        var rotation = new SecretRotation(SecretRotation.DefaultKeyFile(GetEnvironmentVariable, System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows)));
        var args = request.BuildArgs.ToList();
        foreach (var secret in rotated)
        {
            var value = values.FirstOrDefault(v => v.Id == secret.Id).Value ?? string.Empty;
            var name = SecretRotation.ArgumentName(secret.Id);
            args.Add(new BuildArgument(name, rotation.Version(value)));
            Log.LogMessage(MessageImportance.Normal, "BuildSecrets: steps that declare ARG {0} re-run when DockerSecret '{1}' changes.", name, secret.Id);
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

    private IReadOnlyList<(string Id, string Value)> ReadSecretValues(IEnumerable<SecretDeclaration> secrets, BuildRequestValidator validator)
    {
        var values = new List<(string Id, string Value)>();
        foreach (var secret in secrets)
        {
            var value = secret.Kind switch
            {
                SecretSourceKind.File => File.ReadAllText(secret.Source!),
                SecretSourceKind.EnvironmentVariable => GetEnvironmentVariable(secret.EnvironmentVariable!),
                SecretSourceKind.UserSecret => validator.LookupUserSecret(secret).Value,
                _ => secret.Value,
            };
            if (!string.IsNullOrEmpty(value))
            {
                values.Add((secret.Id, value!));
            }
        }

        return values;
    }


    /// <summary>
    /// Proves the built image holds none of the declared secrets: streams 'docker save' through the
    /// scanner (layers added on top of the base image, config, history) and returns the leaks found.
    /// </summary>
    private async Task<IReadOnlyList<Diagnostic>> ScanAsync(
        DockerClient client, BuildRequest request, ParsedDockerfile dockerfile, IReadOnlyList<(string Id, string Value)> values, string imageId, SecretRedactor redactor)
    {
        if (values.Count == 0)
        {
            return [];
        }

        if (!ScanImage)
        {
            Report(Messages.ScanSkipped());
            return [];
        }

        foreach (var (id, value) in values)
        {
            if (SecretValues.WhyNotVerifiable(value) is { } reason)
            {
                Report(Messages.SecretNotVerifiable(id, reason));
            }
        }

        var needles = values.SelectMany(v => SecretValues.Needles(v.Id, v.Value)).ToArray();
        if (needles.Length == 0)
        {
            return [];
        }

        var baseImage = dockerfile.FinalBaseImage(request.BuildArgs.GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.Last().Value));
        var baseLayers = baseImage is null ? null : await client.LayerDiffIdsAsync(baseImage, _graceful.Token);
        if (baseImage is not null && baseLayers is null)
        {
            Log.LogMessage(MessageImportance.Normal, "BuildSecrets: the base image '{0}' is not in the engine; every layer is scanned.", baseImage);
        }

        var scanner = new ImageScanner(needles, new HashSet<string>(baseLayers ?? [], StringComparer.Ordinal));
        ScanResult? result = null;
        var started = DateTime.UtcNow;
        try
        {
            await client.SaveAsync(imageId, (stream, token) => System.Threading.Tasks.Task.Run(() => result = scanner.Scan(stream, token), token), _graceful.Token);
        }
        catch (ImageArchiveException exception)
        {
            return [Messages.ScanFailed($"the archive of 'docker save' is not understood: {exception.Message}.")];
        }

        var leaks = result!.Leaks.Select(leak => leak.Where switch
        {
            "layer" => Messages.SecretInLayer(leak.SecretId, redactor.Redact(leak.Location), leak.Step is null ? null : redactor.Redact(leak.Step)),
            "config" => Messages.SecretInConfig(leak.SecretId, leak.Location),
            _ => Messages.SecretInHistory(leak.SecretId, redactor.Redact(leak.Step ?? leak.Location)),
        }).ToList();

        Log.LogMessage(
            MessageImportance.High,
            "BuildSecrets: scanned image '{0}' for secrets {1}: {2} layer(s) added on top of the base image ({4} base layer(s) left out; {3:0.0} MB read), the config and the history, in {5:0.0} s: {6}.",
            request.Repository,
            string.Join(", ", values.Select(v => v.Id)),
            result.LayersScanned,
            result.BytesScanned / 1048576.0,
            result.LayersSkipped,
            (DateTime.UtcNow - started).TotalSeconds,
            leaks.Count == 0 ? "none found" : $"{leaks.Count} leak(s)");
        return leaks;
    }

    /// <summary>Removes the tags of an image found leaking, then reports why.</summary>
    private async AsyncTask RejectImageAsync(DockerClient client, BuildRequest request, string imageId, BuildMode mode, IReadOnlyList<Diagnostic> leaks)
    {
        await client.RemoveTagsAsync(imageId, request.References.ToArray(), mode, _graceful.Token);
        foreach (var leak in leaks)
        {
            Report(leak);
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
        var importance = line.StartsWith("#", StringComparison.Ordinal) && (line.Contains(" [") || line.Contains(" ERROR"))
            ? MessageImportance.High
            : MessageImportance.Normal;
        Log.LogMessage(importance, redacted);
    }

    private void Report(Diagnostic diagnostic)
    {
        var file = string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode : ProjectFile;
        if (diagnostic.Severity == Severity.Error)
        {
            Log.LogError(null, diagnostic.Code, null, file, 0, 0, 0, 0, diagnostic.Message);
        }
        else
        {
            Log.LogWarning(null, diagnostic.Code, null, file, 0, 0, 0, 0, diagnostic.Message);
        }
    }

    private static string QuoteForDisplay(string argument) =>
        argument.Length > 0 && argument.IndexOfAny([' ', '"', '\'', '\t']) < 0 ? argument : "'" + argument.Replace("'", "'\\''") + "'";

    private string FullPath(string path) => Path.GetFullPath(Path.Combine(ProjectDirectory, path.Trim()));

    private static string? Metadata(ITaskItem item, string name)
    {
        var value = item.GetMetadata(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
