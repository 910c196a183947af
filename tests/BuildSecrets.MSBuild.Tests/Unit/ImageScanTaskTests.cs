using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>The scan after the build, through the task with a fake docker client whose 'save' writes a synthetic image.</summary>
[TestClass]
public sealed class ImageScanTaskTests
{
    private const string Canary = "Canary-scan-8e2f4a6c0b";

    private TaskHarness _harness = null!;

    [TestInitialize]
    public void CreateHarness()
    {
        _harness = new TaskHarness();
        _harness.Task.Tags = ["latest", "2.0"];
        _harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        _harness.Environment["TOKEN"] = Canary;
    }

    [TestCleanup]
    public void DeleteHarness() => _harness.Dispose();

    private FakeDocker Docker(ImageArchiveBuilder image)
    {
        var docker = FakeDocker.Create(savedImage: image.Build());
        _harness.Task.DockerCli = docker.Path;
        return docker;
    }

    private void AssertRejected(FakeDocker docker, string code)
    {
        Assert.IsFalse(_harness.Execute());
        CollectionAssert.AreEqual(new[] { code }, _harness.ErrorCodes.ToArray(), _harness.Engine.Log);
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerSecret 'token'");
        CollectionAssert.Contains(docker.Invocations.ToArray(), "image rm --no-prune consumer:latest consumer:2.0");
        Assert.IsNull(_harness.Task.ImageId);
        Assert.IsFalse(_harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), _harness.Engine.Log);
    }

    [TestMethod]
    public void A_secret_in_a_layer_is_BSEC5001_naming_the_path_and_step_and_the_tags_are_removed()
    {
        using var docker = Docker(new ImageArchiveBuilder().Layer("RUN --mount=type=secret,id=token cp /run/secrets/token /app/token", "app/token", Canary));

        AssertRejected(docker, "BSEC5001");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'/app/token'");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'RUN --mount=type=secret,id=token cp /run/secrets/token /app/token'");
        Assert.IsTrue(docker.Invocations.Contains("save " + FakeDocker.ImageId), string.Join("\n", docker.Invocations));
    }

    [TestMethod]
    public void A_secret_in_the_config_is_BSEC5002()
    {
        using var docker = Docker(new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean").Env("TOKEN=" + Canary));

        AssertRejected(docker, "BSEC5002");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "Env");
    }

    [TestMethod]
    public void A_secret_in_the_history_is_BSEC5003_with_the_step_masked()
    {
        using var docker = Docker(new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean").EmptyStep($"ARG TOKEN={Canary}"));

        AssertRejected(docker, "BSEC5003");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'ARG TOKEN=***'");
    }

    [TestMethod]
    public void A_secret_too_common_to_search_for_is_warning_BSEC5004_and_the_build_passes()
    {
        using var docker = Docker(new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean"));
        _harness.Environment["TOKEN"] = "password";

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        Assert.AreEqual("BSEC5004", _harness.Engine.Warnings.Single().Code);
        StringAssert.Contains(_harness.Engine.Warnings[0].Message, "DockerSecret 'token'");
    }

    [TestMethod]
    public void An_archive_that_cannot_be_read_is_BSEC5006_and_the_tags_are_removed()
    {
        using var docker = FakeDocker.Create(savedImage: new byte[4096]);
        File.WriteAllText(docker.ArchivePath, "this is not a tar archive, it is text long enough to fill a header block............................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................");
        _harness.Task.DockerCli = docker.Path;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5006" }, _harness.ErrorCodes.ToArray(), _harness.Engine.Log);
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerSecretScan=false");
        CollectionAssert.Contains(docker.Invocations.ToArray(), "image rm --no-prune consumer:latest consumer:2.0");
    }

    [TestMethod]
    public void What_docker_save_writes_after_the_archives_end_marker_is_read_so_the_client_is_not_killed_by_SIGPIPE()
    {
        // As the Docker 26 client: it still writes after the tar's end marker; a client that finds its
        // pipe closed dies of SIGPIPE (exit code 141), as 'head' does here.
        using var docker = FakeDocker.Create(save: "cat \"$(dirname \"$0\")/image.tar\" && head -c 4194304 /dev/zero");
        _harness.Task.DockerCli = docker.Path;

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        StringAssert.Contains(_harness.Engine.Log, "none found");
    }

    [TestMethod]
    public void A_failing_docker_save_is_BSEC5006_with_dockers_own_error_and_the_tags_are_removed()
    {
        using var docker = FakeDocker.Create(save: "echo 'Error response from daemon: write /var/lib/docker/tmp/docker-export: no space left on device' >&2; exit 1");
        _harness.Task.DockerCli = docker.Path;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5006" }, _harness.ErrorCodes.ToArray(), _harness.Engine.Log);
        StringAssert.Contains(_harness.Engine.Errors[0].Message, $"save {FakeDocker.ImageId}' failed with exit code 1: Error response from daemon: write /var/lib/docker/tmp/docker-export: no space left on device.");
        CollectionAssert.Contains(docker.Invocations.ToArray(), "image rm --no-prune consumer:latest consumer:2.0");
    }

    [TestMethod]
    public void A_zstd_layer_is_BSEC5008_naming_the_layer_and_the_tags_are_removed()
    {
        using var docker = Docker(new ImageArchiveBuilder { Oci = true, ZstdLayer = 0 }.Layer("RUN cp /run/secrets/token /app/token", "app/token", Canary));

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5008" }, _harness.ErrorCodes.ToArray(), _harness.Engine.Log);
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "is zstd-compressed");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'blobs/sha256/");
        CollectionAssert.Contains(docker.Invocations.ToArray(), "image rm --no-prune consumer:latest consumer:2.0");
        Assert.IsFalse(_harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), _harness.Engine.Log);
    }

    [TestMethod]
    public void DockerSecretScan_false_skips_the_scan_with_warning_BSEC5007()
    {
        using var docker = Docker(new ImageArchiveBuilder().Layer("RUN cp", "app/token", Canary));
        _harness.Task.ScanImage = false;

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        Assert.AreEqual("BSEC5007", _harness.Engine.Warnings.Single().Code);
        Assert.IsFalse(docker.Invocations.Any(i => i.StartsWith("save", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void A_clean_image_passes_with_a_summary_of_the_scan()
    {
        using var docker = Docker(new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean"));

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        StringAssert.Contains(_harness.Engine.Log, "BuildSecrets: scanned image 'consumer' for secrets token: 1 layer(s)");
        StringAssert.Contains(_harness.Engine.Log, "none found");
    }
}
