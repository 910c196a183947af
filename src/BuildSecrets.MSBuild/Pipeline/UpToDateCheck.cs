using System.IO;
using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>What the up-to-date check found before the checks: the engine (from its record), the check of this build's inputs, and the image when it is up to date.</summary>
internal sealed record EarlyDecision(Engine Engine, UpToDateCheck Check, string? ImageId);

/// <summary>
/// What the engine said of the image names a record lists (<paramref name="Recorded"/>, as it was
/// read to ask): their ids in the order asked, or null when it lacked any; asked through its unix
/// socket (<see cref="Socket"/>), or through the client when that is null.
/// </summary>
internal sealed record EngineAnswer(string Client, UpToDateCheck.Entry Recorded, IReadOnlyList<string>? Ids, string? Socket = null);

/// <summary>
/// A publish that changes nothing builds nothing, as MSBuild skips a target whose inputs are older
/// than its outputs. After a proven build this records, under obj/, a hash of everything the build
/// depended on: the build's arguments, the Dockerfile, the .dockerignore, the size and time of
/// every context file the Dockerfile can take (its COPY and ADD sources and bind mounts), a keyed
/// fingerprint of the secrets' values, the client and engine, and the task assembly's version;
/// with the image id, the base image's id and the names to ask the engine about. The next
/// build with the same hash asks the engine (on its unix socket when it can, else in one client
/// call) whether every tag still names that image and the base name still names that base; only
/// then is the image taken as it is, neither built nor scanned. Whatever the engine says
/// otherwise (an image removed, a base image pulled anew, a different engine) builds as usual. A
/// build that must reach past its cache (DockerBuildPull, DockerBuildNoCache) or that exports
/// something (DockerBuildCacheTo, DockerBuildMetadataFile) is never skipped.
/// </summary>
internal sealed class UpToDateCheck
{
    private const string Header = "buildsecrets up-to-date 1";

    /// <summary>One record: the inputs' key, the image and base image ids, and the names to ask the engine about.</summary>
    internal sealed record Entry(string Key, string ImageId, string BaseId, IReadOnlyList<string> Names);
    private const string RecordName = "up-to-date";

    private readonly string? _path;
    private readonly string _key;
    private readonly IReadOnlyList<string> _references;
    private readonly string? _baseImage;

    private UpToDateCheck(string? path, string key, IReadOnlyList<string> references, string? baseImage)
    {
        _path = path;
        _key = key;
        _references = references;
        _baseImage = baseImage;
    }

    /// <summary>The check of one build. Without a per-user key (no home folder) it never skips.</summary>
    public static UpToDateCheck For(
        BuildRequest request,
        IReadOnlyList<DeclaredSecret> secrets,
        IReadOnlyDictionary<string, byte[]> values,
        SecretRotation? rotation,
        Engine engine,
        ParsedDockerfile dockerfile,
        string? baseImage)
    {
        var references = request.References.ToArray();
        if (rotation is null || !MaySkip(request))
        {
            return new UpToDateCheck(null, string.Empty, references, baseImage);
        }

        var key = new RecordKey()
            .Add("engine", string.Join(" ", engine.Client.Executable, engine.Mode, engine.Info.ClientVersion, engine.Info.ServerVersion, engine.Info.BuildxVersion ?? "-"))
            .Add("secrets", rotation.Fingerprint(values, "up-to-date " + BuildRecords.CodeVersion));
        // Secrets are named by id and source, never by value (the fingerprint covers the values).
        var named = secrets.Select(s => new SecretReference(
            s.Id,
            s.Source.File is null ? SecretReferenceKind.Variable : SecretReferenceKind.File,
            s.Source.File ?? s.Source.BuildVariable ?? "value")).ToArray();
        foreach (var argument in DockerBuildArguments.Create(request, named, engine.Mode))
        {
            key.Add("argument", argument);
        }

        key.Add("references", string.Join(" ", references)).AddFileContent("dockerfile", request.Dockerfile);
        var ignore = DockerIgnoreMatcher.Load(request.Context, request.Dockerfile);
        key.Add("dockerignore", ignore.File);
        if (ignore.File is not null)
        {
            key.AddFileContent("dockerignore", ignore.File);
        }

        var context = Path.GetFullPath(request.Context);
        var contextFiles = Directory.Exists(context) ? ContextFiles.EnumerateTaken(context, ignore, dockerfile.ContextSources()) : [];
        foreach (var file in contextFiles.OrderBy(f => f, StringComparer.Ordinal))
        {
            key.AddFileStamp("file", file);
        }

        return new UpToDateCheck(BuildRecords.PathOf(request.ImageIdFile, RecordName), key.Hash(), references, baseImage);
    }

    /// <summary>
    /// Asks the engine, as early as a build can (before the secrets are read), which images the
    /// last proven build's names (its tags and base image, as its record lists them) stand for
    /// now, when there is such a build to compare with: a publish that changes nothing then waits
    /// for the engine only while it compares its inputs.
    /// The question names images only: no file of the context, no secret. Its answer counts only
    /// if nothing changed (<see cref="BeforeChecksAsync"/>). The task never fails: null when the
    /// question could not be asked.
    /// </summary>
    public static Task<EngineAnswer?> AskEarly(ImageBuildOptions options, BuildRequest request, CancellationToken cancellationToken)
    {
        var path = BuildRecords.PathOf(request.ImageIdFile, RecordName);
        if (!MaySkip(request) || !File.Exists(path))
        {
            return Task.FromResult<EngineAnswer?>(null);
        }

        return Task.Run(
            async () =>
            {
                try
                {
                    if (ReadRecord(path) is not { Names.Count: > 0 } record)
                    {
                        return null;
                    }

                    var client = DockerClient.Locate(options.DockerCli, options.GetEnvironmentVariable("PATH"), options.Windows);
#if NET
                    if (SocketToAsk(options, request, client) is { } socket)
                    {
                        try
                        {
                            return new EngineAnswer(client.Executable, record, EngineSocket.ImageIds(socket, record.Names, cancellationToken), socket);
                        }
                        catch (EngineSocketException)
                        {
                            // The socket did not answer as the daemon does: the client is asked, as without one.
                        }
                    }
#endif

                    return new EngineAnswer(client.Executable, record, await client.ImageIdsAsync(record.Names, cancellationToken));
                }
                catch (Exception)
                {
                    // Whatever failed here, the build meets it again where it reports it.
                    return null;
                }
            },
            CancellationToken.None);
    }

#if NET
    /// <summary>
    /// The unix socket to ask the engine on instead of starting the client (about 2 ms instead of
    /// 30 to 65), when that is sure to reach the engine the client would: not on Windows, for a
    /// client named docker (a wrapper of another name may reach another engine), whose engine a
    /// fresh record says is not Podman (which has no daemon), and whose endpoint, by the client's
    /// own rules, is a unix socket that exists. Null otherwise: the client is asked (always on .NET
    /// Framework, which has no unix sockets). Logs nothing: the record is read, and logged, again
    /// before the checks.
    /// </summary>
    internal static string? SocketToAsk(ImageBuildOptions options, BuildRequest request, DockerClient client)
    {
        if (options.Windows || Path.GetFileName(client.Executable) != DockerClient.DefaultCli)
        {
            return null;
        }

        try
        {
            if (EngineRecord.For(request.ImageIdFile, client, options).Read() is not { } info || info.ChooseMode(options.DockerCli) == BuildMode.Podman)
            {
                return null;
            }
        }
        catch (BuildSecretsException)
        {
            return null;
        }

        return EngineSocket.Resolve(options.GetEnvironmentVariable, options.Windows) is { } socket && File.Exists(socket) ? socket : null;
    }
#endif

    /// <summary>
    /// A publish that changes nothing, found before the checks: when the engine is known from its
    /// record (no client started) and every input is as it was at the last proven build, the checks
    /// before the build would find what they found then, nothing, since they read only these inputs;
    /// they are not run again (the Dockerfile's warnings are reported again). What the engine
    /// answered (<see cref="AskEarly"/>) then decides. Null when the engine is not known from its
    /// record (or the Dockerfile cannot be read): the build goes on as usual, and asks after its
    /// checks. Otherwise the engine and this build's check, for the build to go on with, and the
    /// image when it is up to date.
    /// </summary>
    public static async Task<EarlyDecision?> BeforeChecksAsync(
        IBuildLog log,
        ImageBuildOptions options,
        BuildRequest request,
        IReadOnlyList<DeclaredSecret> secrets,
        IReadOnlyDictionary<string, byte[]> values,
        SecretRotation? rotation,
        Task<EngineAnswer?> asking)
    {
        if (rotation is null || Engine.FromRecord(log, options, request) is not { } engine)
        {
            return null;
        }

        ParsedDockerfile dockerfile;
        try
        {
            dockerfile = DockerfileReader.Parse(File.ReadAllText(request.Dockerfile));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DockerfileParseException)
        {
            // The checks report it.
            return null;
        }

        var baseImage = ImageBuilder.BaseImageOf(request, dockerfile);
        var check = For(request, secrets, values, rotation, engine, dockerfile, baseImage);
        var warnings = LeakPrecheck.CheckDockerfile(dockerfile, request.Dockerfile, secrets);
        // The record the question was asked from is the one compared with: it is not read again.
        var answer = await asking;
        var imageId = answer is not null
            && answer.Client == engine.Client.Executable
            && answer.Recorded.Names.SequenceEqual(NamesToAsk(check._references, baseImage), StringComparer.Ordinal)
            && !warnings.Any(w => w.Severity == Severity.Error)
            && check.IsKeyOf(answer.Recorded)
                ? check.Match(answer.Recorded, answer.Ids)
                : null;
        if (imageId is not null && answer is not null)
        {
            log.Detail(answer.Socket is null
                ? "BuildSecrets: the engine was asked through the client {0} whether the tags and the base image still name the recorded images."
                : "BuildSecrets: the engine was asked through its socket unix://{0} whether the tags and the base image still name the recorded images (no client process).",
                answer.Socket ?? answer.Client);
            log.ReportAll(warnings);
        }

        return new EarlyDecision(engine, check, imageId);
    }

    /// <summary>Whether the build may be skipped at all: not one that must reach past its cache or that exports something.</summary>
    private static bool MaySkip(BuildRequest request) =>
        !request.Pull && !request.NoCache && request.CacheTo.Count == 0 && request.MetadataFile is null && request.Platforms.Count <= 1;

    private static IReadOnlyList<string> NamesToAsk(IReadOnlyList<string> references, string? baseImage) =>
        baseImage is null ? references : [.. references, baseImage];

    /// <summary>The image id when the image is up to date: the same inputs as the last proven build, and the engine still has its image under every tag.</summary>
    public async Task<string?> FindAsync(DockerClient client, CancellationToken cancellationToken) =>
        Recorded() is { } recorded ? Match(recorded, await client.ImageIdsAsync(NamesToAsk(_references, _baseImage), cancellationToken)) : null;

    /// <summary>
    /// The recorded image id when the inputs are those of the last proven build and the engine's
    /// ids (of every reference, then the base image, as <see cref="NamesToAsk"/> orders them) are
    /// the recorded ones; otherwise null.
    /// </summary>
    private string? Match(Entry recorded, IReadOnlyList<string>? ids)
    {
        if (ids is null || ids.Count != _references.Count + (_baseImage is null ? 0 : 1))
        {
            return null;
        }

        var tagsHold = ids.Take(_references.Count).All(id => id == recorded.ImageId);
        var baseHolds = _baseImage is null ? recorded.BaseId == "-" : ids[ids.Count - 1] == recorded.BaseId;
        return tagsHold && baseHolds ? recorded.ImageId : null;
    }

    /// <summary>The last proven build's record when its inputs were these, or null.</summary>
    private Entry? Recorded() => _path is not null && ReadRecord(_path) is { } record && IsKeyOf(record) ? record : null;

    /// <summary>Whether a record is of a build with these inputs (never for a build that is not to be skipped).</summary>
    private bool IsKeyOf(Entry record) => _path is not null && record.Key == _key;

    /// <summary>What a record holds (as <see cref="Record"/> writes it), or null when there is none or it is not one.</summary>
    private static Entry? ReadRecord(string path)
    {
        if (BuildRecords.Read(path) is not { } text)
        {
            return null;
        }

        var lines = text.Split('\n');
        if (lines.Length < 4 || lines[0] != Header || !lines[1].StartsWith("key ", StringComparison.Ordinal) || !lines[2].StartsWith("image ", StringComparison.Ordinal) || !lines[3].StartsWith("base ", StringComparison.Ordinal))
        {
            return null;
        }

        var names = lines.Skip(4).Where(l => l.StartsWith("name ", StringComparison.Ordinal)).Select(l => l.Substring("name ".Length)).ToArray();
        return new Entry(lines[1].Substring("key ".Length), lines[2].Substring("image ".Length), lines[3].Substring("base ".Length), names);
    }

    /// <summary>Records the inputs of a proven, tagged image.</summary>
    public void Record(string imageId, string? baseImageId)
    {
        if (_path is null || (_baseImage is not null && baseImageId is null))
        {
            Forget();
            return;
        }

        // The names come last, one a line: what the next build asks the engine before it has read anything else.
        var names = string.Concat(NamesToAsk(_references, _baseImage).Select(n => "name " + n + "\n"));
        BuildRecords.Write(_path, $"{Header}\nkey {_key}\nimage {imageId}\nbase {baseImageId ?? "-"}\n{names}");
    }

    /// <summary>Removes the record (a build that failed or was not proven: the next one builds).</summary>
    public void Forget()
    {
        if (_path is not null && File.Exists(_path))
        {
            File.Delete(_path);
        }
    }
}
