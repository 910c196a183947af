using System.Diagnostics;
using BuildSecrets.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Framework;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>The task with a mock build engine and a fake docker client.</summary>
[TestClass]
public sealed class BuildDockerImageTaskTests
{
    private const string Canary = "Canary-7f3c9e1d5b";

    private TaskHarness _harness = null!;

    [TestInitialize]
    public void CreateHarness() => _harness = new TaskHarness();

    [TestCleanup]
    public void DeleteHarness() => _harness.Dispose();

    [TestMethod]
    public void A_successful_build_returns_the_image_id_and_one_item_per_tag()
    {
        using var docker = FakeDocker.Create();
        var netrc = _harness.WriteFile("netrc", $"machine 127.0.0.1 login admin password {Canary}\n");
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Tags = ["latest", "1.0.0"];
        _harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        Assert.AreEqual(FakeDocker.ImageId, _harness.Task.ImageId);
        CollectionAssert.AreEqual(new[] { "consumer:latest", "consumer:1.0.0" }, _harness.Task.Images.Select(i => i.ItemSpec).ToArray());
        Assert.AreEqual("1.0.0", _harness.Task.Images[1].GetMetadata("Tag"));
        Assert.AreEqual("consumer", _harness.Task.Images[1].GetMetadata("Repository"));
        Assert.AreEqual(FakeDocker.ImageId, _harness.Task.Images[1].GetMetadata("ImageId"));
        var build = docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        StringAssert.Contains(build, $"--secret id=netrc,src={netrc}");
        Assert.IsFalse(build.Contains(Canary, StringComparison.Ordinal));
    }

    [TestMethod]
    public void Progress_streams_into_the_log_with_step_lines_at_high_importance_and_a_summary()
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [TaskHarness.FileSecret("netrc", _harness.WriteFile("netrc", "machine a login b password c0ffee"))];

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        var step = _harness.Engine.Messages.Single(m => m.Message!.StartsWith("#5 [2/3] RUN", StringComparison.Ordinal));
        Assert.AreEqual(MessageImportance.High, step.Importance);
        Assert.AreEqual(MessageImportance.Normal, _harness.Engine.Messages.Single(m => m.Message == "#5 DONE 0.4s").Importance);
        var summary = _harness.Engine.Messages.Last();
        Assert.AreEqual(MessageImportance.High, summary.Importance);
        StringAssert.Contains(summary.Message, "'consumer'");
        StringAssert.Contains(summary.Message, "secrets netrc");
        StringAssert.Contains(summary.Message, FakeDocker.ImageId);
    }

    [TestMethod]
    public void A_client_with_buildx_builds_with_buildx_build_load()
    {
        using var docker = FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true);
        _harness.Task.DockerCli = docker.Path;

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);
        Assert.IsTrue(docker.Invocations.Any(i => i.StartsWith("buildx build --load --progress=plain", StringComparison.Ordinal)), string.Join("\n", docker.Invocations));
    }

    [TestMethod]
    public void Bad_input_stops_before_docker_is_started()
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "missing/netrc"), TaskHarness.EnvironmentSecret("token", "UNSET_TOKEN")];

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1003", "BSEC1005" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, Path.Combine(_harness.ProjectDirectory, "missing", "netrc"));
        Assert.AreEqual(0, docker.Invocations.Count);
    }

    [TestMethod]
    public void A_client_that_says_it_is_podman_builds_with_podman_build_and_secret_files_removed_after()
    {
        var listing = Path.Combine(_harness.ProjectDirectory, "secret-files.txt");
        using var docker = FakeDocker.Create(build: $$"""
            for arg in "$@"; do case "$arg" in id=*src=*) src="${arg#*src=}"; ls -ld "$(dirname "$src")" "$src" > '{{listing}}'; cat "$src" >> '{{listing}}';; esac; done
            echo 'STEP 1/2: FROM base' >&2
            printf '%s' "$FAKE_IMAGE_ID" > "$iidfile"
            """, podman: true);
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        _harness.Environment["TOKEN"] = Canary;

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        var build = docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        Assert.IsFalse(build.Contains("--progress", StringComparison.Ordinal), build);
        StringAssert.Contains(build, "--secret id=token,src=");
        Assert.IsFalse(build.Contains(Canary, StringComparison.Ordinal), build);
        var seen = File.ReadAllLines(listing);
        StringAssert.StartsWith(seen[0], "drwx------");
        StringAssert.StartsWith(seen[1], "-rw-------");
        Assert.AreEqual(Canary, seen[2]);
        var folder = build.Split(' ').Single(a => a.StartsWith("id=token,src=", StringComparison.Ordinal)).Substring("id=token,src=".Length);
        Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(folder)), "the secret files' folder is still there");
        StringAssert.Contains(_harness.Engine.Log, "with podman build");
    }

    [TestMethod]
    [DataRow("linux/amd64;linux/386")]
    [DataRow("linux/amd64,linux/386")]
    [DataRow("linux/amd64", "linux/386")]
    public void DockerBuildPlatforms_become_one_platform_list_however_they_arrive(params string[] platforms)
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Platforms = platforms;

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        StringAssert.Contains(docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal)), " --platform linux/amd64,linux/386 ");
    }

    [TestMethod]
    public void A_leaking_image_built_by_Podman_is_untagged_then_removed_with_its_intermediate_images()
    {
        using var docker = FakeDocker.Create(podman: true, savedImage: new ImageArchiveBuilder { Podman = true }.Layer("RUN cp /run/secrets/token /app/token", "app/token", Canary).Build());
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        _harness.Environment["TOKEN"] = Canary;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5001" }, _harness.ErrorCodes.ToArray(), _harness.Engine.Log);
        var invocations = docker.Invocations.ToList();
        var untag = invocations.IndexOf($"untag {FakeDocker.ImageId} consumer:latest");
        Assert.IsTrue(untag >= 0, string.Join("\n", invocations));
        Assert.AreEqual(untag + 1, invocations.IndexOf($"image rm {FakeDocker.ImageId}"), string.Join("\n", invocations));
    }

    [TestMethod]
    public void A_docker_client_that_is_not_there_is_BSEC2001()
    {
        _harness.Task.DockerCli = "docker-that-does-not-exist";

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2001" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'docker-that-does-not-exist'");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerCli");
    }

    [TestMethod]
    public void No_engine_is_BSEC2002_with_how_to_start_one()
    {
        using var docker = FakeDocker.Create(serverVersion: null);
        _harness.Task.DockerCli = docker.Path;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2002" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "Cannot connect to the Docker daemon");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "dockerd");
        Assert.IsFalse(docker.Invocations.Any(i => i.Contains("build", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void A_Docker_23_or_later_client_without_buildx_is_BSEC2003()
    {
        using var docker = FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "20.10.24", buildx: false);
        _harness.Task.DockerCli = docker.Path;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2003" }, _harness.ErrorCodes.ToArray());
        Assert.IsFalse(docker.Invocations.Any(i => i.StartsWith("build ", StringComparison.Ordinal) || i.StartsWith("buildx build", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void A_client_older_than_18_09_is_BSEC2004()
    {
        using var docker = FakeDocker.Create(clientVersion: "17.06.2-ce", serverVersion: "17.06.2-ce");
        _harness.Task.DockerCli = docker.Path;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2004" }, _harness.ErrorCodes.ToArray());
    }

    [TestMethod]
    public void A_client_whose_version_command_fails_otherwise_is_BSEC2005()
    {
        using var docker = FakeDocker.Create();
        File.WriteAllText(docker.Path, "#!/bin/sh\necho 'unknown flag: --format' >&2\nexit 125\n");
        _harness.Task.DockerCli = docker.Path;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2005" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "exit code 125");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "unknown flag");
    }

    [TestMethod]
    public void A_failed_step_is_one_BSEC3001_error_quoting_the_step_and_its_output_without_the_secret()
    {
        using var docker = FakeDocker.Create(build: $"""
            echo '#5 [2/3] RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n http://127.0.0.1:1/' >&2
            echo '#5 0.105 curl: (7) Failed to connect to 127.0.0.1 port 1' >&2
            echo '#5 0.106 {Canary}' >&2
            echo '#5 ERROR: executor failed running [/bin/sh -c curl -sf -n http://127.0.0.1:1/]: exit code: 7' >&2
            echo 'failed to solve with frontend dockerfile.v0: failed to build LLB: executor failed running [/bin/sh -c curl]: exit code: 7' >&2
            exit 1
            """);
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [TaskHarness.EnvironmentSecret("netrc", "NETRC")];
        _harness.Environment["NETRC"] = $"machine 127.0.0.1 login admin password {Canary}";

        Assert.IsFalse(_harness.Execute());

        // The step also printed the secret: that is reported too, before the build failure.
        CollectionAssert.AreEqual(new[] { "BSEC5005", "BSEC3001" }, _harness.ErrorCodes.ToArray());
        var message = _harness.Engine.Errors[1].Message!;
        StringAssert.Contains(message, "'[2/3] RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n http://127.0.0.1:1/'");
        StringAssert.Contains(message, "exit code: 7");
        StringAssert.Contains(message, "curl: (7) Failed to connect");
        Assert.IsFalse(_harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), _harness.Engine.Log);
    }

    [TestMethod]
    public void A_build_that_prints_a_secret_is_BSEC5005_naming_the_step_and_the_image_loses_its_tags()
    {
        using var docker = FakeDocker.Create(build: $"""
            echo '#6 [3/3] RUN --mount=type=secret,id=token cat /run/secrets/token' >&2
            echo '#6 0.051 {Canary}' >&2
            echo '#6 DONE 0.1s' >&2
            printf '%s' "$FAKE_IMAGE_ID" > "$iidfile"
            """);
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Tags = ["latest", "1.0.0"];
        _harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        _harness.Environment["TOKEN"] = Canary;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5005" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerSecret 'token'");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'[3/3] RUN --mount=type=secret,id=token cat /run/secrets/token'");
        CollectionAssert.Contains(docker.Invocations.ToArray(), "image rm --no-prune consumer:latest consumer:1.0.0");
        Assert.IsNull(_harness.Task.ImageId);
        Assert.IsFalse(_harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), _harness.Engine.Log);
        StringAssert.Contains(_harness.Engine.Log, "#6 0.051 ***");
    }

    [TestMethod]
    public void Options_that_need_buildx_are_BSEC2006_with_a_client_without_it()
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.CacheTo = ["type=registry,ref=127.0.0.1:5000/cache"];

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2006" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerBuildCacheTo");
        Assert.IsFalse(docker.Invocations.Any(i => i.StartsWith("build ", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DataRow("DockerBuildMetadataFile")]
    [DataRow("DockerBuilder")]
    public void Buildx_only_options_are_BSEC2006_with_Podman_which_takes_DockerBuildCacheTo(string property)
    {
        using var docker = FakeDocker.Create(podman: true);
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.CacheTo = ["127.0.0.1:5000/app-cache"];
        if (property == "DockerBuilder")
        {
            _harness.Task.Builder = "remote";
        }
        else
        {
            _harness.Task.MetadataFile = "metadata.json";
        }

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2006" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, $"{property} needs docker buildx");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "(podman build)");
        Assert.IsFalse(docker.Invocations.Any(i => i.StartsWith("build ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void With_a_ContainerRegistry_the_scanned_image_is_pushed_and_its_digest_returned()
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Registry = "127.0.0.1:5000/";
        _harness.Task.Tags = ["1.0", "latest"];

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        var invocations = docker.Invocations.ToList();
        StringAssert.Contains(invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal)), "--tag 127.0.0.1:5000/consumer:1.0 --tag 127.0.0.1:5000/consumer:latest");
        Assert.IsTrue(invocations.IndexOf("push 127.0.0.1:5000/consumer:1.0") > invocations.FindIndex(i => i.StartsWith("save ", StringComparison.Ordinal)), "pushed before the scan");
        CollectionAssert.Contains(invocations, "push 127.0.0.1:5000/consumer:latest");
        Assert.AreEqual("sha256:feedface00000000000000000000000000000000000000000000000000000000", _harness.Task.ImageDigest);
        Assert.AreEqual(_harness.Task.ImageDigest, _harness.Task.Images[0].GetMetadata("Digest"));
    }

    [TestMethod]
    public void Podman_pushes_with_a_digest_file_and_its_digest_is_returned()
    {
        using var docker = FakeDocker.Create(podman: true, push: "[ \"$2\" = --digestfile ] && printf 'sha256:b0d1e5' > \"$3\"; echo 'Writing manifest to image destination'");
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Registry = "127.0.0.1:5000";

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        StringAssert.StartsWith(docker.Invocations.Single(i => i.StartsWith("push ", StringComparison.Ordinal)), "push --digestfile ");
        Assert.AreEqual("sha256:b0d1e5", _harness.Task.ImageDigest);
    }

    [TestMethod]
    public void A_leaking_image_is_never_pushed()
    {
        using var docker = FakeDocker.Create(savedImage: new ImageArchiveBuilder().Layer("RUN cp", "app/token", Canary).Build());
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Registry = "127.0.0.1:5000";
        _harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        _harness.Environment["TOKEN"] = Canary;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5001" }, _harness.ErrorCodes.ToArray());
        Assert.IsFalse(docker.Invocations.Any(i => i.StartsWith("push", StringComparison.Ordinal)), string.Join("\n", docker.Invocations));
    }

    [TestMethod]
    public void A_failed_push_is_BSEC2007()
    {
        using var docker = FakeDocker.Create(push: "echo 'denied: requested access to the resource is denied' >&2; exit 1");
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Registry = "127.0.0.1:5000";

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2007" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "127.0.0.1:5000/consumer:latest");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "denied");
    }

    [TestMethod]
    public void A_build_that_writes_no_image_id_is_BSEC3002()
    {
        using var docker = FakeDocker.Create(build: "echo '#1 DONE 0.0s' >&2");
        _harness.Task.DockerCli = docker.Path;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC3002" }, _harness.ErrorCodes.ToArray());
    }

    [TestMethod]
    public void Cancel_stops_the_docker_client_within_seconds_and_warns_BSEC3003()
    {
        var pidFile = Path.Combine(_harness.ProjectDirectory, "docker.pid");
        using var docker = FakeDocker.Create(build: $"echo $$ > '{pidFile}'; echo '#3 [1/2] RUN sleep 600' >&2; exec sleep 600");
        _harness.Task.DockerCli = docker.Path;

        var run = System.Threading.Tasks.Task.Run(_harness.Execute);
        var stopwatch = Stopwatch.StartNew();
        while (!File.Exists(pidFile) || File.ReadAllText(pidFile).Trim().Length == 0)
        {
            Assert.IsTrue(stopwatch.Elapsed < TimeSpan.FromSeconds(30), "the fake build never started");
            Thread.Sleep(50);
        }

        _harness.Task.Cancel();
        Assert.IsTrue(run.Wait(TimeSpan.FromSeconds(15)), "the task did not stop within 15 seconds of Cancel");

        Assert.IsFalse(run.Result);
        Assert.AreEqual("BSEC3003", _harness.Engine.Warnings.Single().Code);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim());
        Assert.IsFalse(ProcessIsAlive(pid), $"the docker client (pid {pid}) is still running");
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
