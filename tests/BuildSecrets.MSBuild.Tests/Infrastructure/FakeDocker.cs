namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>
/// A shell script that imitates the docker client for fast task tests: it answers <c>version</c>
/// and <c>buildx version</c> as told, runs a given snippet for <c>build</c>, and records every
/// invocation's arguments.
/// </summary>
internal sealed class FakeDocker : IDisposable
{
    public const string ImageId = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// <summary>A build that prints BuildKit-like progress and writes the image id.</summary>
    public const string SuccessfulBuild = """
        echo '#1 [internal] load build definition from Dockerfile' >&2
        echo '#1 DONE 0.0s' >&2
        echo '#5 [2/3] RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -n http://127.0.0.1/' >&2
        echo '#5 DONE 0.4s' >&2
        printf '%s' "$FAKE_IMAGE_ID" > "$iidfile"
        """;

    private readonly string _folder;

    private FakeDocker(string folder)
    {
        _folder = folder;
        Path = System.IO.Path.Combine(folder, "docker");
        InvocationLog = System.IO.Path.Combine(folder, "invocations.log");
    }

    public string Path { get; }

    public string InvocationLog { get; }

    /// <summary>One line per invocation: the arguments joined by spaces.</summary>
    public IReadOnlyList<string> Invocations => File.Exists(InvocationLog) ? File.ReadAllLines(InvocationLog) : [];

    /// <summary>What 'save' writes: by default a small clean image.</summary>
    public string ArchivePath => System.IO.Path.Combine(_folder, "image.tar");

    public static FakeDocker Create(
        string clientVersion = "20.10.24",
        string? serverVersion = "20.10.24",
        bool buildx = false,
        string build = SuccessfulBuild,
        byte[]? savedImage = null,
        bool podman = false,
        string check = "",
        string? save = null,
        string inspect = "echo \"Error: No such image\" >&2; exit 1",
        string push = "echo \"The push refers to repository [$2]\"; echo \"${2##*:}: digest: sha256:feedface00000000000000000000000000000000000000000000000000000000 size: 528\"")
    {
        var fake = new FakeDocker(Repository.NewTempFolder("fake-docker"));
        File.WriteAllBytes(fake.ArchivePath, savedImage ?? new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean content").Build());
        var version = serverVersion is null
            ? $"echo '{clientVersion}|'; echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1"
            : $"echo '{clientVersion}|{serverVersion}'";
        var buildxVersion = buildx
            ? "echo 'github.com/docker/buildx v0.17.1 257815a'"
            : "echo \"docker: 'buildx' is not a docker command.\" >&2; exit 1";
        var script = $$"""
            #!/bin/sh
            printf '%s\n' "$*" >> '{{fake.InvocationLog}}'
            FAKE_IMAGE_ID='{{ImageId}}'
            case " $* " in *" --check "*)
            {{check}}
              exit 0 ;;
            esac
            iidfile=''
            for arg in "$@"; do
              if [ "$previous" = "--iidfile" ]; then iidfile="$arg"; fi
              previous="$arg"
            done
            case "$1 $2" in
              "--version "*) {{(podman ? "echo 'podman version 4.3.1'" : "echo 'Docker version 20.10.24+dfsg1, build 297e128'")}} ;;
              "version "*) {{version}} ;;
              "buildx version") {{buildxVersion}} ;;
              "build "*|"buildx build")
            {{build}}
              ;;
              "image rm") ;;
              "tag "*) ;;
              "builder prune"|"buildx prune"|"image prune") ;;
              "image inspect") {{inspect}} ;;
              "save "*) {{save ?? $"cat '{fake.ArchivePath}'"}} ;;
              "push "*) {{push}} ;;
              *) echo "fake docker: unexpected arguments: $*" >&2; exit 2 ;;
            esac
            """;
        File.WriteAllText(fake.Path, script.Replace("\r\n", "\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(fake.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return fake;
    }

    /// <summary>The image was never tagged (neither by the build nor after it) and was removed.</summary>
    public void AssertRemovedUntagged()
    {
        var invocations = Invocations.ToArray();
        var log = string.Join("\n", invocations);
        Assert.IsFalse(invocations.Any(i => i.StartsWith("tag ", StringComparison.Ordinal) || i.Contains(" --tag ", StringComparison.Ordinal)), log);
        CollectionAssert.Contains(invocations, $"image rm {ImageId}", log);
    }

    /// <summary>Each reference was tagged, and only after the image was saved for the scan (when it was scanned).</summary>
    public void AssertTaggedAfterProof(params string[] references)
    {
        var invocations = Invocations.ToList();
        var log = string.Join("\n", invocations);
        Assert.IsFalse(invocations.Any(i => i.Contains(" --tag ", StringComparison.Ordinal)), log);
        var saved = invocations.FindIndex(i => i.StartsWith("save ", StringComparison.Ordinal));
        foreach (var reference in references)
        {
            var tagged = invocations.IndexOf($"tag {ImageId} {reference}");
            Assert.IsTrue(tagged > saved, log);
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
