using BuildSecrets.MSBuild.Docker;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>
/// One of the real engines the end-to-end suite builds on, as eng/test.sh sets them up, and how a
/// consumer project picks it: the DockerCli property, and the client's environment (DOCKER_HOST,
/// DOCKER_CONFIG, CONTAINERS_CONF) in the publish's environment.
/// </summary>
internal sealed class TestEngine
{
    /// <summary>Docker 20.10, classic image store: 'docker build' with DOCKER_BUILDKIT=1.</summary>
    public const string Docker20 = "docker20";

    /// <summary>Docker 26 with the buildx plugin and the containerd image store: 'docker buildx build --load'.</summary>
    public const string Docker26 = "docker26";

    /// <summary>Podman 4.3 (Buildah): 'podman build'.</summary>
    public const string Podman = "podman";

    private static readonly Lazy<string> PodmanConfig = new(WritePodmanConfig);
    private readonly Lazy<Task> _ready;

    private TestEngine(string name, string cli, IReadOnlyDictionary<string, string?> environment)
    {
        Name = name;
        Cli = cli;
        Environment = environment;
        _ready = new Lazy<Task>(CheckReadyAsync);
    }

    public string Name { get; }

    /// <summary>The client, as DockerCli takes it.</summary>
    public string Cli { get; }

    /// <summary>The client's environment, for the tests' own commands and the consumer's publish.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; }

    /// <summary>Builds with buildx (cache export, type=local cache, metadata file, several platforms).</summary>
    public bool HasBuildx => Name == Docker26;

    public bool IsPodman => Name == Podman;

    /// <summary>
    /// The unix socket the docker client reaches this engine through, by the client's own rules (its
    /// environment over the tests'), which the package asks directly whether an image is up to date;
    /// null for Podman, which has no daemon.
    /// </summary>
    public string? Socket => IsPodman ? null : EngineSocket.Resolve(name => Environment.TryGetValue(name, out var value) ? value : System.Environment.GetEnvironmentVariable(name), windows: false);

    /// <summary>What a publish that changes nothing logs of how it asked this engine: through its socket (docker), or through the client (Podman).</summary>
    public string AskedLine => IsPodman
        ? $"the engine was asked through the client {Cli} "
        : $"the engine was asked through its socket unix://{Socket ?? "(no unix socket)"} ";

    /// <summary>The engine by name (a data row's value).</summary>
    public static TestEngine Named(string name) => name switch
    {
        Docker20 => new TestEngine(Docker20, DockerEngine.Cli, new Dictionary<string, string?> { ["DOCKER_BUILDKIT"] = "1" }),
        Docker26 => new TestEngine(Docker26, Variable("BUILDSECRETS_DOCKER26"), new Dictionary<string, string?>
        {
            ["DOCKER_HOST"] = Variable("BUILDSECRETS_DOCKER26_HOST"),
            ["DOCKER_CONFIG"] = Variable("BUILDSECRETS_DOCKER26_CONFIG"),
        }),
        // crun refuses hosts whose cgroups are in hybrid mode (v1 controllers and a v2 mount), as this
        // machine kind's are; runc, which Debian's docker.io brings, builds there.
        Podman => new TestEngine(Podman, "/usr/bin/podman", new Dictionary<string, string?> { ["CONTAINERS_CONF"] = PodmanConfig.Value }),
        _ => throw new ArgumentException($"unknown engine '{name}'", nameof(name)),
    };

    /// <summary>Fails (never skips) when the engine does not answer or lacks the base image.</summary>
    public Task EnsureReadyAsync() => _ready.Value;

    /// <summary>The name the engine gives a built image (Podman prefixes 'localhost/').</summary>
    public string LocalName(string reference) => IsPodman && reference.Split('/')[0].IndexOfAny(['.', ':']) < 0 && reference.Split('/')[0] != "localhost" ? "localhost/" + reference : reference;

    /// <summary>The environment of a publish with this engine, plus the test's own variables.</summary>
    public Dictionary<string, string?> PublishEnvironment(IReadOnlyDictionary<string, string?>? more = null)
    {
        var environment = new Dictionary<string, string?>(Environment);
        foreach (var (name, value) in more ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        return environment;
    }

    public Task<CommandOutcome> RunAsync(params string[] arguments) => Commands.RunAsync(Cli, arguments, environment: Environment);

    /// <summary>
    /// Runs a container of the image (network none). Podman cannot run containers on this machine
    /// kind (rlimits), so its image is moved into Docker 20.10 first (podman save | docker load).
    /// </summary>
    public async Task<CommandOutcome> RunContainerAsync(string image, string? entrypoint = null, params string[] command)
    {
        if (!IsPodman)
        {
            string[] options = entrypoint is null ? [] : ["--entrypoint", entrypoint];
            return await RunAsync(["run", "--rm", "--network", "none", .. options, image, .. command]);
        }

        var moved = await Commands.RunAsync("/bin/sh", ["-c", $"{Cli} save {LocalName(image)} | {DockerEngine.Cli} load"], environment: Environment);
        Assert.AreEqual(0, moved.ExitCode, moved.ToString());
        try
        {
            return await Named(Docker20).RunContainerAsync(LocalName(image), entrypoint, command);
        }
        finally
        {
            await DockerEngine.RemoveImageAsync(LocalName(image));
        }
    }

    public async Task RemoveImageAsync(string reference) => await RunAsync("image", "rm", "--force", LocalName(reference));

    /// <summary>Every place of the saved image that holds <paramref name="needle"/>.</summary>
    public Task<IReadOnlyList<string>> FindInSavedImageAsync(string image, string needle) =>
        DockerEngine.FindInSavedImageAsync(Cli, Environment, LocalName(image), needle);

    /// <summary>Every image id the engine holds, dangling and intermediate ones included (full ids, without 'sha256:').</summary>
    public async Task<IReadOnlyList<string>> AllImageIdsAsync()
    {
        var images = await RunAsync("images", "--all", "--no-trunc", "--quiet");
        Assert.AreEqual(0, images.ExitCode, images.ToString());
        return images.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(WithoutAlgorithm).ToArray();
    }

    public static string WithoutAlgorithm(string id) => id.StartsWith("sha256:", StringComparison.Ordinal) ? id.Substring("sha256:".Length) : id;

    public override string ToString() => Name;

    private static string Variable(string name) =>
        System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new AssertFailedException($"{name} is not set: run the tests with eng/test.sh, which starts Docker 26 (eng/setup-docker26.sh) and exports it.");

    private static string WritePodmanConfig()
    {
        var folder = Repository.NewTempFolder("podman-config");
        var file = Path.Combine(folder, "containers.conf");
        File.WriteAllText(file, "[engine]\nruntime = \"runc\"\n");
        return file;
    }

    private async Task CheckReadyAsync()
    {
        var version = IsPodman ? await RunAsync("version") : await RunAsync("version", "--format", "{{.Server.Version}}");
        Assert.AreEqual(0, version.ExitCode, $"The {Name} engine does not answer '{Cli}': run the tests with eng/test.sh, which starts it. {version}");
        var image = await RunAsync("image", "inspect", "--format", "{{.Id}}", DockerEngine.BaseImage);
        Assert.AreEqual(0, image.ExitCode, $"The {Name} engine lacks the base image {DockerEngine.BaseImage}: eng/test.sh copies it there. {image}");
        if (HasBuildx)
        {
            var buildx = await RunAsync("buildx", "version");
            Assert.AreEqual(0, buildx.ExitCode, $"The {Name} client has no buildx plugin in DOCKER_CONFIG. {buildx}");
        }
    }
}
