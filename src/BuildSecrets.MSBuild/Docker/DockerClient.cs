using System.ComponentModel;
using System.IO;
using System.Runtime.ExceptionServices;
using BuildSecrets.MSBuild.Diagnostics;
using CliWrap;
using CliWrap.Buffered;

namespace BuildSecrets.MSBuild.Docker;

/// <summary>The result of one image build: the client's exit code and, on success, the id it wrote.</summary>
internal sealed record BuildOutcome(int ExitCode, string? ImageId, TimeSpan Duration);

/// <summary>An image's id and its layers' diff ids (<c>RootFS.Layers</c>).</summary>
internal sealed record ImageLayers(string Id, IReadOnlyList<string> DiffIds);

/// <summary>'docker save' failed; the message quotes the client's error.</summary>
internal sealed class ImageSaveException(string message) : Exception(message);

/// <summary>Runs the docker client (every process through CliWrap, arguments as a list).</summary>
internal sealed class DockerClient
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(60);
    private static readonly char[] PathSeparators = ['/', '\\'];
    private static readonly char[] LineBreaks = ['\r', '\n'];
    private static readonly string[] ImageIdsArguments = ["image", "inspect", "--format", "{{.Id}}"];

    /// <summary>The client used when DockerCli is not set.</summary>
    public const string DefaultCli = "docker";

    public DockerClient(string displayName, string executable)
    {
        DisplayName = displayName;
        Executable = executable;
    }

    /// <summary>The client as the user named it (DockerCli), for messages.</summary>
    public string DisplayName { get; }

    /// <summary>The full path that is started.</summary>
    public string Executable { get; }

    /// <summary>Finds the client: a path is taken as is, a bare name is looked up on PATH.</summary>
    public static DockerClient Locate(string cli, string? pathVariable, bool windows)
    {
        if (ResolveExecutable(cli, pathVariable, windows) is { } found)
        {
            return new DockerClient(cli, found);
        }

        // As the .NET SDK's container support does: docker first, Podman when there is no docker.
        if (cli == DefaultCli && ResolveExecutable("podman", pathVariable, windows) is { } podman)
        {
            return new DockerClient("podman", podman);
        }

        throw new BuildSecretsException(Messages.CliNotFound(cli));
    }

    internal static string? ResolveExecutable(string cli, string? pathVariable, bool windows)
    {
        var extensions = windows ? new[] { string.Empty, ".exe", ".cmd", ".bat" } : new[] { string.Empty };
        if (cli.IndexOfAny(PathSeparators) >= 0)
        {
            return extensions.Select(e => Path.GetFullPath(cli + e)).FirstOrDefault(File.Exists);
        }

        foreach (var folder in (pathVariable ?? string.Empty).Split(Path.PathSeparator))
        {
            if (folder.Trim().Length == 0)
            {
                continue;
            }

            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(folder.Trim().Trim('"'), cli + extension);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Asks the client for its version, the engine's version and whether buildx is there.</summary>
    public async Task<DockerClientInfo> InspectAsync(CancellationToken cancellationToken)
    {
        // Podman answers 'podman version X', also through a docker alias (podman-docker); it needs no daemon.
        var identity = await RunProbeAsync(["--version"], cancellationToken);
        if (identity.ExitCode == 0 && identity.StandardOutput.TrimStart().StartsWith("podman", StringComparison.OrdinalIgnoreCase))
        {
            var podmanVersion = identity.StandardOutput.Trim().Split(' ').Last();
            return new DockerClientInfo(podmanVersion, podmanVersion, HasBuildx: false) { IsPodman = true };
        }

        var version = await RunProbeAsync(
            ["version", "--format", "{{.Client.Version}}|{{if .Server}}{{.Server.Version}}{{end}}"], cancellationToken);
        var fields = version.StandardOutput.Trim().Split('|');
        var clientVersion = fields[0].Trim();
        var serverVersion = fields.Length > 1 && fields[1].Trim().Length > 0 ? fields[1].Trim() : null;

        if (version.ExitCode != 0 || serverVersion is null)
        {
            var detail = FirstLines(version.StandardError.Length > 0 ? version.StandardError : version.StandardOutput);
            if (clientVersion.Length == 0 && version.ExitCode != 0 && detail.IndexOf("daemon", StringComparison.OrdinalIgnoreCase) < 0
                && detail.IndexOf("connect", StringComparison.OrdinalIgnoreCase) < 0)
            {
                throw new BuildSecretsException(Messages.CliFailed(DisplayName, "version", version.ExitCode, detail));
            }

            throw new BuildSecretsException(Messages.EngineUnreachable(DisplayName, detail.Length > 0 ? EndSentence(detail) : "the engine did not answer."));
        }

        var buildx = await RunProbeAsync(["buildx", "version"], cancellationToken);
        return new DockerClientInfo(clientVersion, serverVersion, buildx.ExitCode == 0)
        {
            BuildxVersion = buildx.ExitCode == 0 ? buildx.StandardOutput.Trim() : null,
        };
    }

    /// <summary>
    /// Runs the build, handing every output line to <paramref name="onLine"/> as it arrives. The
    /// child environment carries secret values (never the command line).
    /// </summary>
    public async Task<BuildOutcome> BuildAsync(
        IReadOnlyList<string> arguments,
        BuildMode mode,
        string imageIdFile,
        IReadOnlyDictionary<string, string> childEnvironment,
        Action<string> onLine,
        CancellationToken forcefulCancellation,
        CancellationToken gracefulCancellation)
    {
        var started = DateTime.UtcNow;
        var target = PipeTarget.ToDelegate(onLine);

        if (File.Exists(imageIdFile))
        {
            File.Delete(imageIdFile);
        }

        var command = Wrap(arguments)
            .WithStandardOutputPipe(target)
            .WithStandardErrorPipe(target);
        // Values reach the client through its own environment only, never its command line.
        command = command.WithEnvironmentVariables(env =>
        {
            foreach (var variable in childEnvironment)
            {
                env.Set(variable.Key, variable.Value);
            }

            if (mode == BuildMode.ClassicBuildKit)
            {
                env.Set("DOCKER_BUILDKIT", "1");
            }
        });

        var result = await StartAsync(command, () => command.ExecuteAsync(forcefulCancellation, gracefulCancellation));
        var imageId = result.ExitCode == 0 && File.Exists(imageIdFile)
            ? File.ReadAllText(imageIdFile).Trim()
            : null;
        return new BuildOutcome(result.ExitCode, string.IsNullOrEmpty(imageId) ? null : imageId, DateTime.UtcNow - started);
    }

    /// <summary>
    /// Streams <c>docker save IMAGE</c> into <paramref name="consume"/> as the client writes it: the
    /// archive is never stored on disk nor held whole in memory. What the consumer leaves unread
    /// (the padding after the tar's end marker, or the rest after it gave up) is read and dropped,
    /// so the client never dies writing into a closed pipe (SIGPIPE). When the client fails, its
    /// own error text is reported (BSEC5006), whatever the consumer made of the partial archive.
    /// </summary>
    public async Task SaveAsync(string image, Func<Stream, CancellationToken, Task> consume, CancellationToken cancellationToken)
    {
        var errors = new System.Text.StringBuilder();
        ExceptionDispatchInfo? consumerFailure = null;
        var target = PipeTarget.Create(async (stream, token) =>
        {
            try
            {
                await consume(stream, token);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                consumerFailure = ExceptionDispatchInfo.Capture(exception);
            }

            await stream.CopyToAsync(Stream.Null, 81920, token);
        });
        var command = Wrap(new[] { "save", image })
            .WithStandardOutputPipe(target)
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(errors));
        var result = await StartAsync(command, () => command.ExecuteAsync(cancellationToken));
        if (result.ExitCode != 0)
        {
            var said = FirstLines(errors.ToString());
            throw new ImageSaveException($"'{DisplayName} save {image}' failed with exit code {result.ExitCode}: {(said.Length > 0 ? EndSentence(said) : "it printed no error.")}");
        }

        consumerFailure?.Throw();
    }

    /// <summary>The diff ids of an image's layers (<c>RootFS.Layers</c>), or null when the engine does not have the image.</summary>
    public async Task<IReadOnlyList<string>?> LayerDiffIdsAsync(string image, CancellationToken cancellationToken) =>
        (await InspectLayersAsync(image, cancellationToken))?.DiffIds;

    /// <summary>An image's id and the diff ids of its layers, or null when the engine does not have the image.</summary>
    public async Task<ImageLayers?> InspectLayersAsync(string image, CancellationToken cancellationToken)
    {
        var command = Wrap(new[] { "image", "inspect", "--format", "{{.Id}}{{range .RootFS.Layers}} {{.}}{{end}}", image });
        var result = await StartAsync(command, () => command.ExecuteBufferedAsync(cancellationToken));
        var fields = result.StandardOutput.Trim().Split(' ');
        return result.ExitCode != 0 || fields[0].Length == 0 ? null : new ImageLayers(ImageId(fields[0]), fields.Skip(1).ToArray());
    }

    /// <summary>The ids of images by name, in one call, in the order asked; null when the engine lacks any of them.</summary>
    public async Task<IReadOnlyList<string>?> ImageIdsAsync(IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        // The one call of a publish that changes nothing: standard output only (an image the engine lacks is the exit code).
        var output = new System.Text.StringBuilder();
        var command = Wrap(ImageIdsArguments.Concat(images)).WithStandardOutputPipe(PipeTarget.ToStringBuilder(output));
        var result = await StartAsync(command, () => command.ExecuteAsync(cancellationToken));
        return result.ExitCode != 0
            ? null
            : output.ToString().Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries).Select(l => ImageId(l.Trim())).ToArray();
    }

    /// <summary>An image id as docker and its --iidfile write it: Podman's inspect (and its compatible API) leaves out the 'sha256:' its --iidfile writes.</summary>
    internal static string ImageId(string id) => id.Length == 64 && id.IndexOf(':') < 0 ? "sha256:" + id : id;

    /// <summary>Runs BuildKit's build checks (<c>buildx build --check</c>) and returns their findings.</summary>
    public async Task<BuildCheckRun> CheckAsync(IReadOnlyList<string> buildArguments, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var target = PipeTarget.ToDelegate(line =>
        {
            lock (lines)
            {
                lines.Add(line);
            }
        });
        var command = Wrap(BuildChecks.Arguments(buildArguments))
            .WithStandardOutputPipe(target)
            .WithStandardErrorPipe(target);
        var result = await StartAsync(command, () => command.ExecuteAsync(cancellationToken));
        return BuildChecks.Read(lines, result.ExitCode);
    }

    /// <summary>
    /// Pushes one reference; returns the digest the registry reported, when it did. Docker prints it;
    /// Podman does not, and writes it to <paramref name="digestFile"/> (<c>--digestfile</c>) instead.
    /// </summary>
    public async Task<string?> PushAsync(string reference, Action<string> onLine, CancellationToken cancellationToken, string? digestFile = null)
    {
        string? digest = null;
        var output = new System.Text.StringBuilder();
        var target = PipeTarget.ToDelegate(line =>
        {
            lock (output)
            {
                output.AppendLine(line);
                var at = line.IndexOf("digest: sha256:", StringComparison.Ordinal);
                if (at >= 0)
                {
                    digest = line.Substring(at + "digest: ".Length).Split(' ')[0];
                }
            }

            onLine(line);
        });
        if (digestFile is not null && File.Exists(digestFile))
        {
            File.Delete(digestFile);
        }

        var command = Wrap(digestFile is null ? new[] { "push", reference } : new[] { "push", "--digestfile", digestFile, reference })
            .WithStandardOutputPipe(target)
            .WithStandardErrorPipe(target);
        var result = await StartAsync(command, () => command.ExecuteAsync(cancellationToken));
        if (result.ExitCode != 0)
        {
            throw new BuildSecretsException(Messages.PushFailed(reference, result.ExitCode, FirstLines(output.ToString())));
        }

        return digestFile is not null && File.Exists(digestFile) && File.ReadAllText(digestFile).Trim() is { Length: > 0 } written ? written : digest;
    }

    /// <summary>Tags an image (<c>docker tag ID REFERENCE</c>); only proven images are tagged.</summary>
    public Task TagAsync(string imageId, string reference, CancellationToken cancellationToken) =>
        RunCheckedAsync(["tag", imageId, reference], cancellationToken);

    /// <summary>Removes the build cache (after a leak, so that no cached step holds it): <c>docker builder prune</c>, <c>docker buildx prune</c>, <c>podman image prune</c>.</summary>
    public Task PruneBuildCacheAsync(BuildMode mode, CancellationToken cancellationToken) =>
        RunCheckedAsync(mode switch
        {
            BuildMode.Buildx => ["buildx", "prune", "--force"],
            BuildMode.Podman => ["image", "prune", "--force"],
            _ => ["builder", "prune", "--force"],
        }, cancellationToken);

    /// <summary>Removes an image that was never tagged, such as one found leaking (<c>docker image rm ID</c>).</summary>
    public Task RemoveImageAsync(string imageId, CancellationToken cancellationToken) =>
        RunCheckedAsync(["image", "rm", imageId], cancellationToken);

    private async Task RunCheckedAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var command = Wrap(arguments);
        var result = await StartAsync(command, () => command.ExecuteBufferedAsync(cancellationToken));
        if (result.ExitCode != 0)
        {
            throw new BuildSecretsException(Messages.CliFailed(DisplayName, string.Join(" ", arguments), result.ExitCode, FirstLines(result.StandardError)));
        }
    }

    private async Task<BufferedCommandResult> RunProbeAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        var command = Wrap(arguments);
        try
        {
            return await StartAsync(command, () => command.ExecuteBufferedAsync(timeout.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BuildSecretsException(Messages.EngineUnreachable(
                DisplayName, $"'{DisplayName} {string.Join(" ", arguments)}' did not answer within {ProbeTimeout.TotalSeconds:0} seconds."));
        }
    }

    /// <summary>A command of this client; its exit code is the caller's to judge.</summary>
    private Command Wrap(IEnumerable<string> arguments) =>
        Cli.Wrap(Executable).WithArguments(arguments).WithValidation(CommandResultValidation.None);

    private static async Task<T> StartAsync<T>(Command command, Func<CommandTask<T>> execute)
    {
        try
        {
            return await execute();
        }
        catch (Win32Exception)
        {
            // The file exists but cannot be started (not executable, wrong format).
            throw new BuildSecretsException(Messages.CliNotFound(command.TargetFilePath));
        }
    }

    private static string FirstLines(string text)
    {
        var lines = text.Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries).Take(3);
        return string.Join(" ", lines).Trim();
    }

    private static string EndSentence(string text) => text.EndsWith(".", StringComparison.Ordinal) ? text : text + ".";
}
