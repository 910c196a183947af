using System.Diagnostics;
using BuildSecrets.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Framework;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>The task with a mock build engine and a fake docker client.</summary>
[TestClass]
public sealed class BuildDockerImageTaskTests : TaskWithFakeDockerTests
{
    private const string Canary = "Canary-7f3c9e1d5b";

    [TestMethod]
    public void A_successful_build_returns_the_image_id_and_one_item_per_tag()
    {
        var netrc = Harness.WriteFile("netrc", $"machine 127.0.0.1 login admin password {Canary}\n");
        Harness.Task.Tags = ["latest", "1.0.0"];
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(FakeDocker.ImageId, Harness.Task.ImageId);
        CollectionAssert.AreEqual(new[] { "consumer:latest", "consumer:1.0.0" }, Harness.Task.Images.Select(i => i.ItemSpec).ToArray());
        Assert.AreEqual("1.0.0", Harness.Task.Images[1].GetMetadata("Tag"));
        Assert.AreEqual("consumer", Harness.Task.Images[1].GetMetadata("Repository"));
        Assert.AreEqual(FakeDocker.ImageId, Harness.Task.Images[1].GetMetadata("ImageId"));
        var build = Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        StringAssert.Contains(build, $"--secret id=netrc,src={netrc}");
        Assert.IsFalse(build.Contains(Canary, StringComparison.Ordinal));
    }

    [TestMethod]
    public void The_task_yields_the_node_while_docker_builds_and_takes_it_back_before_it_returns()
    {
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", Harness.WriteFile("netrc", "machine a login b password c0ffee"))];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(1, Harness.Engine.Yields);
        Assert.AreEqual(1, Harness.Engine.Reacquires);
        CollectionAssert.Contains(Harness.Engine.MessagesWhileYielded, "#5 DONE 0.4s", "the build's progress was not logged while the node was yielded");
    }

    [TestMethod]
    public void The_task_takes_the_node_back_when_the_build_fails()
    {
        Harness.Task.DockerCli = "/nonexistent/docker";

        Assert.IsFalse(Harness.Execute());

        Assert.AreEqual(Harness.Engine.Yields, Harness.Engine.Reacquires);
    }

    [TestMethod]
    public void Progress_streams_into_the_log_with_step_lines_at_high_importance_and_a_summary()
    {
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", Harness.WriteFile("netrc", "machine a login b password c0ffee"))];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        var step = Harness.Engine.Messages.Single(m => m.Message!.StartsWith("#5 [2/3] RUN", StringComparison.Ordinal));
        Assert.AreEqual(MessageImportance.High, step.Importance);
        Assert.AreEqual(MessageImportance.Normal, Harness.Engine.Messages.Single(m => m.Message == "#5 DONE 0.4s").Importance);
        var summary = Harness.Engine.Messages.Last();
        Assert.AreEqual(MessageImportance.High, summary.Importance);
        StringAssert.Contains(summary.Message, "'consumer'");
        StringAssert.Contains(summary.Message, "secrets netrc");
        StringAssert.Contains(summary.Message, FakeDocker.ImageId);
    }

    [TestMethod]
    public void A_client_with_buildx_builds_with_buildx_build_load()
    {
        UseDocker(FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true));

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        Assert.IsTrue(Docker.Invocations.Any(i => i.StartsWith("buildx build --load --progress=plain", StringComparison.Ordinal)), string.Join("\n", Docker.Invocations));
    }

    [TestMethod]
    public void Bad_input_stops_before_docker_is_started()
    {
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "missing/netrc"), TaskHarness.EnvironmentSecret("token", "UNSET_TOKEN")];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1003", "BSEC1005" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, Path.Combine(Harness.ProjectDirectory, "missing", "netrc"));
        Assert.AreEqual(0, Docker.Invocations.Count);
    }

    [TestMethod]
    public void A_client_that_says_it_is_podman_builds_with_podman_build_and_secret_files_removed_after()
    {
        var listing = Path.Combine(Harness.ProjectDirectory, "secret-files.txt");
        UseDocker(FakeDocker.Create(build: $$"""
            for arg in "$@"; do case "$arg" in id=*src=*) src="${arg#*src=}"; ls -ld "$(dirname "$src")" "$src" > '{{listing}}'; cat "$src" >> '{{listing}}';; esac; done
            echo 'STEP 1/2: FROM base' >&2
            printf '%s' "$FAKE_IMAGE_ID" > "$iidfile"
            """, podman: true));
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        Harness.Environment["TOKEN"] = Canary;

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        var build = Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        Assert.IsFalse(build.Contains("--progress", StringComparison.Ordinal), build);
        StringAssert.Contains(build, "--secret id=token,src=");
        Assert.IsFalse(build.Contains(Canary, StringComparison.Ordinal), build);
        var seen = File.ReadAllLines(listing);
        StringAssert.StartsWith(seen[0], "drwx------");
        StringAssert.StartsWith(seen[1], "-rw-------");
        Assert.AreEqual(Canary, seen[2]);
        var folder = build.Split(' ').Single(a => a.StartsWith("id=token,src=", StringComparison.Ordinal)).Substring("id=token,src=".Length);
        Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(folder)), "the secret files' folder is still there");
        StringAssert.Contains(Harness.Engine.Log, "with podman build");
    }

    [TestMethod]
    [DataRow("linux/amd64;linux/386")]
    [DataRow("linux/amd64,linux/386")]
    [DataRow("linux/amd64", "linux/386")]
    public void DockerBuildPlatforms_become_one_platform_list_however_they_arrive(params string[] platforms)
    {
        Harness.Task.Platforms = platforms;

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        StringAssert.Contains(Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal)), " --platform linux/amd64,linux/386 ");
    }

    [TestMethod]
    public void A_leaking_image_built_by_Podman_is_never_tagged_and_is_removed_with_its_intermediate_images()
    {
        UseDocker(FakeDocker.Create(podman: true, savedImage: new ImageArchiveBuilder { Podman = true }.Layer("RUN cp /run/secrets/token /app/token", "app/token", Canary).Build()));
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        Harness.Environment["TOKEN"] = Canary;

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5001" }, Harness.ErrorCodes.ToArray(), Harness.Engine.Log);
        Docker.AssertRemovedUntagged();
    }

    [TestMethod]
    public void A_docker_client_that_is_not_there_is_BSEC2001()
    {
        Harness.Task.DockerCli = "docker-that-does-not-exist";

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2001" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'docker-that-does-not-exist'");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "DockerCli");
    }

    [TestMethod]
    public void No_engine_is_BSEC2002_with_how_to_start_one()
    {
        UseDocker(FakeDocker.Create(serverVersion: null));

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2002" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "Cannot connect to the Docker daemon");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "dockerd");
        Assert.IsFalse(Docker.Invocations.Any(i => i.Contains("build", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DataRow("28.2.2", "20.10.24", "BSEC2003", DisplayName = "A Docker 23 or later client without buildx is BSEC2003")]
    [DataRow("17.06.2-ce", "17.06.2-ce", "BSEC2004", DisplayName = "A client older than 18.09 is BSEC2004")]
    public void A_client_that_cannot_build_with_secrets_stops_the_build_before_it_starts(string clientVersion, string serverVersion, string code)
    {
        UseDocker(FakeDocker.Create(clientVersion: clientVersion, serverVersion: serverVersion, buildx: false));

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { code }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, clientVersion);
        Assert.IsFalse(Docker.Invocations.Any(i => i.StartsWith("build ", StringComparison.Ordinal) || i.StartsWith("buildx build", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void A_client_whose_version_command_fails_otherwise_is_BSEC2005()
    {
        File.WriteAllText(Docker.Path, "#!/bin/sh\necho 'unknown flag: --format' >&2\nexit 125\n");

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2005" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "exit code 125");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "unknown flag");
    }

    [TestMethod]
    public void A_failed_step_is_one_BSEC3001_error_quoting_the_step_and_its_output_without_the_secret()
    {
        UseDocker(FakeDocker.Create(build: $"""
            echo '#5 [2/3] RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n http://127.0.0.1:1/' >&2
            echo '#5 0.105 curl: (7) Failed to connect to 127.0.0.1 port 1' >&2
            echo '#5 0.106 {Canary}' >&2
            echo '#5 ERROR: executor failed running [/bin/sh -c curl -sf -n http://127.0.0.1:1/]: exit code: 7' >&2
            echo 'failed to solve with frontend dockerfile.v0: failed to build LLB: executor failed running [/bin/sh -c curl]: exit code: 7' >&2
            exit 1
            """));
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("netrc", "NETRC")];
        Harness.Environment["NETRC"] = $"machine 127.0.0.1 login admin password {Canary}";

        Assert.IsFalse(Harness.Execute());

        // The step also printed the secret: that is reported too, before the build failure.
        CollectionAssert.AreEqual(new[] { "BSEC5005", "BSEC3001" }, Harness.ErrorCodes.ToArray());
        var message = Harness.Engine.Errors[1].Message!;
        StringAssert.Contains(message, "'[2/3] RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n http://127.0.0.1:1/'");
        StringAssert.Contains(message, "exit code: 7");
        StringAssert.Contains(message, "curl: (7) Failed to connect");
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), Harness.Engine.Log);
    }

    [TestMethod]
    public void A_build_that_prints_a_secret_is_BSEC5005_naming_the_step_and_the_image_is_removed_untagged()
    {
        UseDocker(FakeDocker.Create(build: $"""
            echo '#6 [3/3] RUN --mount=type=secret,id=token cat /run/secrets/token' >&2
            echo '#6 0.051 {Canary}' >&2
            echo '#6 DONE 0.1s' >&2
            printf '%s' "$FAKE_IMAGE_ID" > "$iidfile"
            """));
        Harness.Task.Tags = ["latest", "1.0.0"];
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        Harness.Environment["TOKEN"] = Canary;

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5005" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "DockerSecret 'token'");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'[3/3] RUN --mount=type=secret,id=token cat /run/secrets/token'");
        Docker.AssertRemovedUntagged();
        Assert.IsNull(Harness.Task.ImageId);
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), Harness.Engine.Log);
        StringAssert.Contains(Harness.Engine.Log, "#6 0.051 ***");
    }

    [TestMethod]
    public void Options_that_need_buildx_are_BSEC2006_with_a_client_without_it()
    {
        Harness.Task.CacheTo = ["type=registry,ref=127.0.0.1:5000/cache"];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2006" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "DockerBuildCacheTo");
        Assert.IsFalse(Docker.Invocations.Any(i => i.StartsWith("build ", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DataRow("DockerBuildMetadataFile")]
    [DataRow("DockerBuilder")]
    public void Buildx_only_options_are_BSEC2006_with_Podman_which_takes_DockerBuildCacheTo(string property)
    {
        UseDocker(FakeDocker.Create(podman: true));
        Harness.Task.CacheTo = ["127.0.0.1:5000/app-cache"];
        if (property == "DockerBuilder")
        {
            Harness.Task.Builder = "remote";
        }
        else
        {
            Harness.Task.MetadataFile = "metadata.json";
        }

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2006" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, $"{property} needs docker buildx");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "(podman build)");
        Assert.IsFalse(Docker.Invocations.Any(i => i.StartsWith("build ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void With_a_ContainerRegistry_the_scanned_image_is_pushed_and_its_digest_returned()
    {
        Harness.Task.Registry = "127.0.0.1:5000/";
        Harness.Task.Tags = ["1.0", "latest"];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        var invocations = Docker.Invocations.ToList();
        Docker.AssertTaggedAfterProof("127.0.0.1:5000/consumer:1.0", "127.0.0.1:5000/consumer:latest");
        Assert.IsTrue(invocations.IndexOf("push 127.0.0.1:5000/consumer:1.0") > invocations.IndexOf($"tag {FakeDocker.ImageId} 127.0.0.1:5000/consumer:latest"), "pushed before it was tagged");
        Assert.IsTrue(invocations.IndexOf("push 127.0.0.1:5000/consumer:1.0") > invocations.FindIndex(i => i.StartsWith("save ", StringComparison.Ordinal)), "pushed before the scan");
        CollectionAssert.Contains(invocations, "push 127.0.0.1:5000/consumer:latest");
        Assert.AreEqual("sha256:feedface00000000000000000000000000000000000000000000000000000000", Harness.Task.ImageDigest);
        Assert.AreEqual(Harness.Task.ImageDigest, Harness.Task.Images[0].GetMetadata("Digest"));
    }

    [TestMethod]
    public void Podman_pushes_with_a_digest_file_and_its_digest_is_returned()
    {
        UseDocker(FakeDocker.Create(podman: true, push: "[ \"$2\" = --digestfile ] && printf 'sha256:b0d1e5' > \"$3\"; echo 'Writing manifest to image destination'"));
        Harness.Task.Registry = "127.0.0.1:5000";

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        StringAssert.StartsWith(Docker.Invocations.Single(i => i.StartsWith("push ", StringComparison.Ordinal)), "push --digestfile ");
        Assert.AreEqual("sha256:b0d1e5", Harness.Task.ImageDigest);
    }

    [TestMethod]
    public void A_leaking_image_is_never_pushed()
    {
        UseDocker(FakeDocker.Create(savedImage: new ImageArchiveBuilder().Layer("RUN cp", "app/token", Canary).Build()));
        Harness.Task.Registry = "127.0.0.1:5000";
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        Harness.Environment["TOKEN"] = Canary;

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5001" }, Harness.ErrorCodes.ToArray());
        Assert.IsFalse(Docker.Invocations.Any(i => i.StartsWith("push", StringComparison.Ordinal)), string.Join("\n", Docker.Invocations));
    }

    [TestMethod]
    public void A_failed_push_is_BSEC2007()
    {
        UseDocker(FakeDocker.Create(push: "echo 'denied: requested access to the resource is denied' >&2; exit 1"));
        Harness.Task.Registry = "127.0.0.1:5000";

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC2007" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "127.0.0.1:5000/consumer:latest");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "denied");
    }

    [TestMethod]
    public void A_build_that_writes_no_image_id_is_BSEC3002()
    {
        UseDocker(FakeDocker.Create(build: "echo '#1 DONE 0.0s' >&2"));

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC3002" }, Harness.ErrorCodes.ToArray());
    }

    [TestMethod]
    public void Cancel_stops_the_docker_client_within_seconds_and_warns_BSEC3003()
    {
        var pidFile = Path.Combine(Harness.ProjectDirectory, "Docker.pid");
        UseDocker(FakeDocker.Create(build: $"echo $$ > '{pidFile}'; echo '#3 [1/2] RUN sleep 600' >&2; exec sleep 600"));

        var run = System.Threading.Tasks.Task.Run(Harness.Execute);
        var stopwatch = Stopwatch.StartNew();
        while (!File.Exists(pidFile) || File.ReadAllText(pidFile).Trim().Length == 0)
        {
            Assert.IsTrue(stopwatch.Elapsed < TimeSpan.FromSeconds(30), "the fake build never started");
            Thread.Sleep(50);
        }

        Harness.Task.Cancel();
        Assert.IsTrue(run.Wait(TimeSpan.FromSeconds(15)), "the task did not stop within 15 seconds of Cancel");

        Assert.IsFalse(run.Result);
        Assert.AreEqual("BSEC3003", Harness.Engine.Warnings.Single().Code);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsFalse(ProcessIsAlive(pid), $"the docker client (pid {pid}) is still running");
    }

    [TestMethod]
    public void Cancel_during_the_scan_leaves_the_unproven_image_untagged()
    {
        var pidFile = Path.Combine(Harness.ProjectDirectory, "save.pid");
        UseDocker(FakeDocker.Create(save: $"echo $$ > '{pidFile}'; exec sleep 600"));
        Harness.Environment["TOKEN"] = "Canary-cancel-9d2e4f6a8b";
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];

        var run = System.Threading.Tasks.Task.Run(Harness.Execute);
        var stopwatch = Stopwatch.StartNew();
        while (!File.Exists(pidFile) || File.ReadAllText(pidFile).Trim().Length == 0)
        {
            Assert.IsTrue(stopwatch.Elapsed < TimeSpan.FromSeconds(30), "the scan never started");
            Thread.Sleep(50);
        }

        Harness.Task.Cancel();
        Assert.IsTrue(run.Wait(TimeSpan.FromSeconds(15)), "the task did not stop within 15 seconds of Cancel");

        Assert.IsFalse(run.Result);
        Assert.AreEqual("BSEC3003", Harness.Engine.Warnings.Single().Code);
        Assert.IsFalse(Docker.Invocations.Any(i => i.StartsWith("tag ", StringComparison.Ordinal)), string.Join("\n", Docker.Invocations));
        Assert.IsNull(Harness.Task.ImageId);
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
