using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>The scan after the build, through the task with a fake docker client whose 'save' writes a synthetic image.</summary>
[TestClass]
public sealed class ImageScanTaskTests : TaskWithFakeDockerTests
{
    private const string Canary = "Canary-scan-8e2f4a6c0b";

    [TestInitialize]
    public void DeclareTheTokenSecret()
    {
        Harness.Task.Tags = ["latest", "2.0"];
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        Harness.Environment["TOKEN"] = Canary;
    }

    private FakeDocker SavingImage(ImageArchiveBuilder image) => UseDocker(FakeDocker.Create(savedImage: image.Build()));

    private void AssertRejected(string code)
    {
        Assert.IsFalse(Harness.Execute());
        CollectionAssert.AreEqual(new[] { code }, Harness.ErrorCodes.ToArray(), Harness.Engine.Log);
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "DockerSecret 'token'");
        Docker.AssertRemovedUntagged();
        Assert.IsNull(Harness.Task.ImageId);
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), Harness.Engine.Log);
    }

    [TestMethod]
    public void A_secret_in_a_layer_is_BSEC5001_naming_the_path_and_step_and_the_image_is_removed_untagged()
    {
        SavingImage(new ImageArchiveBuilder().Layer("RUN --mount=type=secret,id=token cp /run/secrets/token /app/token", "app/token", Canary));

        AssertRejected("BSEC5001");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'/app/token'");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'RUN --mount=type=secret,id=token cp /run/secrets/token /app/token'");
        Assert.IsTrue(Docker.Invocations.Contains("save " + FakeDocker.ImageId), string.Join("\n", Docker.Invocations));
    }

    [TestMethod]
    public void BSEC5001_points_at_the_Dockerfile_line_of_the_step_with_a_help_link()
    {
        var dockerfile = Harness.WriteFile("Dockerfile", "FROM scratch\n# copies what it should not\nRUN --mount=type=secret,id=token \\\n    cp /run/secrets/token /app/token\n");
        SavingImage(new ImageArchiveBuilder().Layer("RUN /bin/sh -c cp /run/secrets/token /app/token # buildkit", "app/token", Canary));

        AssertRejected("BSEC5001");
        var error = Harness.Engine.Errors[0];
        Assert.AreEqual(dockerfile, error.File);
        Assert.AreEqual(3, error.LineNumber);
        Assert.AreEqual("https://github.com/buildsecrets/BuildSecrets.MSBuild/blob/main/README.md#bsec5001", error.HelpLink);
        StringAssert.Contains(error.Message, "(its whole value)");
    }

    [TestMethod]
    public void A_secret_in_the_config_is_BSEC5002()
    {
        SavingImage(new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean").Env("TOKEN=" + Canary));

        AssertRejected("BSEC5002");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "Env");
    }

    [TestMethod]
    public void A_secret_in_the_history_is_BSEC5003_with_the_step_masked()
    {
        SavingImage(new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean").EmptyStep($"ARG TOKEN={Canary}"));

        AssertRejected("BSEC5003");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'ARG TOKEN=***'");
    }

    [TestMethod]
    public void A_secret_too_common_to_search_for_is_warning_BSEC5004_and_the_build_passes()
    {
        SavingImage(new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean"));
        Harness.Environment["TOKEN"] = "password";

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual("BSEC5004", Harness.Engine.Warnings.Single().Code);
        StringAssert.Contains(Harness.Engine.Warnings[0].Message, "DockerSecret 'token'");
    }

    [TestMethod]
    public void An_archive_that_cannot_be_read_is_BSEC5006_and_the_image_is_removed_untagged()
    {
        UseDocker(FakeDocker.Create(savedImage: new byte[4096]));
        File.WriteAllText(Docker.ArchivePath, "this is not a tar archive, it is text long enough to fill a header block............................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................");

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5006" }, Harness.ErrorCodes.ToArray(), Harness.Engine.Log);
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "DockerSecretScan=false");
        Docker.AssertRemovedUntagged();
    }

    [TestMethod]
    public void What_docker_save_writes_after_the_archives_end_marker_is_read_so_the_client_is_not_killed_by_SIGPIPE()
    {
        // As the Docker 26 client: it still writes after the tar's end marker; a client that finds its
        // pipe closed dies of SIGPIPE (exit code 141), as 'head' does here.
        UseDocker(FakeDocker.Create(save: "cat \"$(dirname \"$0\")/image.tar\" && head -c 4194304 /dev/zero"));

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        StringAssert.Contains(Harness.Engine.Log, "none found");
    }

    [TestMethod]
    public void A_failing_docker_save_is_BSEC5006_with_dockers_own_error_and_the_tags_are_removed()
    {
        UseDocker(FakeDocker.Create(save: "echo 'Error response from daemon: write /var/lib/docker/tmp/docker-export: no space left on device' >&2; exit 1"));

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5006" }, Harness.ErrorCodes.ToArray(), Harness.Engine.Log);
        StringAssert.Contains(Harness.Engine.Errors[0].Message, $"save {FakeDocker.ImageId}' failed with exit code 1: Error response from daemon: write /var/lib/docker/tmp/docker-export: no space left on device.");
        Docker.AssertRemovedUntagged();
    }

    [TestMethod]
    public void A_zstd_layer_is_BSEC5009_naming_the_layer_and_the_image_is_removed_untagged()
    {
        SavingImage(new ImageArchiveBuilder { Oci = true, ZstdLayer = 0 }.Layer("RUN cp /run/secrets/token /app/token", "app/token", Canary));

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5009" }, Harness.ErrorCodes.ToArray(), Harness.Engine.Log);
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "is zstd-compressed");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'blobs/sha256/");
        Docker.AssertRemovedUntagged();
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), Harness.Engine.Log);
    }

    [TestMethod]
    public void DockerSecretScan_false_skips_the_scan_with_warning_BSEC5007()
    {
        SavingImage(new ImageArchiveBuilder().Layer("RUN cp", "app/token", Canary));
        Harness.Task.ScanImage = false;

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual("BSEC5007", Harness.Engine.Warnings.Single().Code);
        Assert.IsFalse(Docker.Invocations.Any(i => i.StartsWith("save", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void A_clean_image_passes_with_a_summary_of_the_scan()
    {
        SavingImage(new ImageArchiveBuilder().Layer("COPY . /app", "app/app.dll", "clean"));

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        StringAssert.Contains(Harness.Engine.Log, "BuildSecrets: scanned image 'consumer' for secrets token: 1 layer(s)");
        StringAssert.Contains(Harness.Engine.Log, "none found");
    }
}
