using BuildSecrets.MSBuild.Tests.Infrastructure;
using BuildSecrets.Samples;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>The tutorial built by Podman (which reads secrets from files), checked by moving the image into docker.</summary>
[TestClass]
public sealed class PodmanTests
{
    private const string Podman = "/usr/bin/podman";

    private readonly string _password = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/podman-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngines(TestContext _)
    {
        await DockerEngine.EnsureReadyAsync();
        Assert.IsTrue(File.Exists(Podman), "podman is not installed: run the tests with eng/test.sh, which installs it");
        var image = await Commands.RunAsync(Podman, ["image", "exists", DockerEngine.BaseImage]);
        Assert.AreEqual(0, image.ExitCode, $"podman lacks {DockerEngine.BaseImage}: eng/test.sh loads it (docker save | podman load)");
    }

    [TestCleanup]
    public async Task RemoveImages()
    {
        await Commands.RunAsync(Podman, ["image", "rm", "--force", _repository + ":latest"]);
        await DockerEngine.RemoveImageAsync("localhost/" + _repository + ":latest");
    }

    [TestMethod]
    public async Task The_tutorial_built_with_Podman_prints_Hello_Admin_and_leaves_no_secret_file()
    {
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, $"""
              <ItemGroup>
                <DockerSecret Include="netrc" EnvironmentVariable="PODMAN_NETRC" />
                <DockerBuildArg Include="MESSAGE_URL" Value="{server.Url}" />
              </ItemGroup>
            """, TutorialTests.Dockerfile);

        var publish = await consumer.PublishAsync(
            new Dictionary<string, string?> { ["PODMAN_NETRC"] = $"machine 127.0.0.1\nlogin admin\npassword {_password}\n" },
            $"DockerCli={Podman}", "DockerBuildNetwork=host", $"ContainerRepository={_repository}");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "with podman build");
        StringAssert.Contains(publish.Output, "none found");
        Assert.AreEqual(1, server.AuthorizedRequests);
        Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the publish log");
        CollectionAssert.AreEqual(
            Array.Empty<string>(),
            Directory.EnumerateFileSystemEntries(consumer.TempFolder, "buildsecrets-*", SearchOption.AllDirectories).ToArray(),
            "a secret file was left in the temp folder");

        // podman run does not work on this machine kind: the image is checked in docker.
        var moved = await Commands.RunAsync("/bin/sh", ["-c", $"{Podman} save {_repository}:latest | {DockerEngine.Cli} load"]);
        Assert.AreEqual(0, moved.ExitCode, moved.ToString());
        var run = await DockerEngine.RunAsync("run", "--rm", "--network", "none", "localhost/" + _repository + ":latest");
        Assert.AreEqual("Hello, Admin", run.Output.Trim(), run.ToString());
        var cat = await DockerEngine.RunAsync("run", "--rm", "--network", "none", "--entrypoint", "cat", "localhost/" + _repository + ":latest", "/root/.netrc");
        Assert.AreNotEqual(0, cat.ExitCode, "/root/.netrc is in the image");
    }
}
