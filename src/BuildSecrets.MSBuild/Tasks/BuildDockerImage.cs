using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Pipeline;
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
            var options = new ImageBuildOptions
            {
                DockerCli = string.IsNullOrWhiteSpace(DockerCli) ? DockerClient.DefaultCli : DockerCli.Trim(),
                Registry = Trimmed(Registry),
                UserSecretsId = Trimmed(UserSecretsId),
                RunBuildChecks = RunBuildChecks,
                ScanImage = ScanImage,
                GetEnvironmentVariable = GetEnvironmentVariable,
                Windows = System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows),
            };
            var result = new ImageBuild(new TaskLog(this), options).RunAsync(CreateRequest(), _graceful.Token, _forceful.Token).GetAwaiter().GetResult();
            if (result is not null)
            {
                SetOutputs(result);
            }
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

    private void SetOutputs(ImageBuildResult result)
    {
        ImageId = result.ImageId;
        ImageDigest = result.Digest;
        Images = result.Tags.Select(tag => (ITaskItem)new TaskItem(
            $"{result.Repository}:{tag}",
            new Dictionary<string, string>
            {
                ["Repository"] = result.Repository,
                ["Tag"] = tag,
                ["ImageId"] = result.ImageId,
                ["Digest"] = result.Digest ?? string.Empty,
            })).ToArray();
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
        // One value may hold several platforms (an escaped ";" or a "," from the command line).
        Platforms = List(Platforms.SelectMany(p => p.Split(';', ',')).ToArray()),
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

    /// <summary>The pipeline's log, written to MSBuild's.</summary>
    private sealed class TaskLog(BuildDockerImage task) : IBuildLog
    {
        public void Report(Diagnostic diagnostic) => task.Report(diagnostic);

        public void Message(bool important, string text) =>
            task.Log.LogMessage(important ? MessageImportance.High : MessageImportance.Normal, text);
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

    private string FullPath(string path) => Path.GetFullPath(Path.Combine(ProjectDirectory, path.Trim()));

    private static string? Metadata(ITaskItem item, string name)
    {
        var value = item.GetMetadata(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
