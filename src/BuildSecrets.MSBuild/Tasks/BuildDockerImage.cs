using System.IO;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Pipeline;
using BuildSecrets.MSBuild.Secrets;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace BuildSecrets.MSBuild.Tasks;

/// <summary>
/// Builds the project's container image with BuildKit, passing the DockerSecret items as secret
/// mounts. Translates items to a <see cref="BuildRequest"/>, validates it, runs the client and logs.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "MSBuild never disposes a task; the token sources live exactly as long as the task object.")]
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

    /// <summary>Whether a leak also removes the build cache (DockerBuildPruneOnLeak).</summary>
    public bool PruneCacheOnLeak { get; set; }

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
                PruneCacheOnLeak = PruneCacheOnLeak,
                GetEnvironmentVariable = GetEnvironmentVariable,
                Windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows),
            };
            var request = CreateRequest();
            ImageBuildResult? result;
            // The docker work is long and out of process: yield the node to other projects meanwhile
            // (paths were made full above, so a working folder changed by them does not matter).
            var engine = BuildEngine as IBuildEngine3;
            engine?.Yield();
            try
            {
                result = new ImageBuild(new TaskLog(this), options).RunAsync(request, _graceful.Token, _forceful.Token).GetAwaiter().GetResult();
            }
            finally
            {
                engine?.Reacquire();
            }

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

    private SecretItem CreateSecret(ITaskItem item)
    {
        var hasValue = item.MetadataNames.Cast<string>().Any(name => string.Equals(name, "Value", StringComparison.OrdinalIgnoreCase));
        return new SecretItem(item.ItemSpec.Trim())
        {
            Source = Metadata(item, "Source") is { } source ? FullPath(source) : null,
            EnvironmentVariable = Metadata(item, "EnvironmentVariable"),
            UserSecret = Metadata(item, "UserSecret"),
            Value = hasValue ? item.GetMetadata("Value") : null,
            NuGetFeedsDirectory = string.Equals(Metadata(item, "NuGetFeeds"), "true", StringComparison.OrdinalIgnoreCase) ? Path.GetFullPath(ProjectDirectory) : null,
            NuGetAuthenticatedFeeds = (Metadata(item, "NuGetAuthenticatedFeeds") ?? string.Empty).Split(';').Select(f => f.Trim()).Where(f => f.Length > 0).ToArray(),
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

    /// <summary>Logs a coded diagnostic at its file and line (the project file when it has none), with its help link.</summary>
    private void Report(Diagnostic diagnostic)
    {
        var file = diagnostic.Location?.File ?? (string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode : ProjectFile);
        var line = diagnostic.Location?.Line ?? 0;
        if (diagnostic.Severity == Severity.Error)
        {
            Log.LogError(null, diagnostic.Code, null, diagnostic.HelpLink, file, line, 0, 0, 0, diagnostic.Message);
        }
        else
        {
            Log.LogWarning(null, diagnostic.Code, null, diagnostic.HelpLink, file, line, 0, 0, 0, diagnostic.Message);
        }
    }

    private string FullPath(string path) => Path.GetFullPath(Path.Combine(ProjectDirectory, path.Trim()));

    private static string? Metadata(ITaskItem item, string name)
    {
        var value = item.GetMetadata(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
