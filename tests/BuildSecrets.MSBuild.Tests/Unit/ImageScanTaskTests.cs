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
        docker.AssertRemovedUntagged();
        Assert.IsNull(_harness.Task.ImageId);
        Assert.IsFalse(_harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), _harness.Engine.Log);
    }

    [TestMethod]
    public void A_secret_in_a_layer_is_BSEC5001_naming_the_path_and_step_and_the_image_is_removed_untagged()
    {
        using var docker = Docker(new ImageArchiveBuilder().Layer("RUN --mount=type=secret,id=token cp /run/secrets/token /app/token", "app/token", Canary));

        AssertRejected(docker, "BSEC5001");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'/app/token'");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'RUN --mount=type=secret,id=token cp /run/secrets/token /app/token'");
        Assert.IsTrue(docker.Invocations.Contains("save " + FakeDocker.ImageId), string.Join("\n", docker.Invocations));
    }

    [TestMethod]
    public void BSEC5001_points_at_the_Dockerfile_line_of_the_step_with_a_help_link()
    {
        var dockerfile = _harness.WriteFile("Dockerfile", "FROM scratch\n# copies what it should not\nRUN --mount=type=secret,id=token \\\n    cp /run/secrets/token /app/token\n");
        using var docker = Docker(new ImageArchiveBuilder().Layer("RUN /bin/sh -c cp /run/secrets/token /app/token # buildkit", "app/token", Canary));

        AssertRejected(docker, "BSEC5001");
        var error = _harness.Engine.Errors[0];
        Assert.AreEqual(dockerfile, error.File);
        Assert.AreEqual(3, error.LineNumber);
        Assert.AreEqual("https://github.com/buildsecrets/BuildSecrets.MSBuild/blob/main/README.md#bsec5001", error.HelpLink);
        StringAssert.Contains(error.Message, "(its whole value)");
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
    public void An_archive_that_cannot_be_read_is_BSEC5006_and_the_image_is_removed_untagged()
    {
        using var docker = FakeDocker.Create(savedImage: new byte[4096]);
        File.WriteAllText(docker.ArchivePath, "this is not a tar archive, it is text long enough to fill a header block............................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................");
        _harness.Task.DockerCli = docker.Path;

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5006" }, _harness.ErrorCodes.ToArray(), _harness.Engine.Log);
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerSecretScan=false");
        docker.AssertRemovedUntagged();
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
