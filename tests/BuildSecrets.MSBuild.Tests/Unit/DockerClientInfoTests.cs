using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class DockerClientInfoTests
{
    [TestMethod]
    [DataRow("28.2.2")]
    [DataRow("20.10.24+dfsg1")]
    public void A_client_with_buildx_builds_with_buildx(string version)
    {
        Assert.AreEqual(BuildMode.Buildx, new DockerClientInfo(version, "28.2.2", HasBuildx: true).ChooseMode("docker"));
    }

    [TestMethod]
    [DataRow("18.09.0")]
    [DataRow("20.10.24+dfsg1")]
    [DataRow("22.06.0-beta.0")]
    public void A_client_from_18_09_to_22_without_buildx_uses_its_own_BuildKit(string version)
    {
        Assert.AreEqual(BuildMode.ClassicBuildKit, new DockerClientInfo(version, "20.10.24", HasBuildx: false).ChooseMode("docker"));
    }

    [TestMethod]
    [DataRow("23.0.0")]
    [DataRow("28.2.2")]
    public void A_client_from_23_without_buildx_is_BSEC2003(string version)
    {
        var error = Assert.ThrowsExactly<BuildSecretsException>(() => new DockerClientInfo(version, "28.2.2", HasBuildx: false).ChooseMode("/usr/local/bin/docker"));
        Assert.AreEqual("BSEC2003", error.Diagnostic.Code);
        StringAssert.Contains(error.Diagnostic.Message, "/usr/local/bin/docker");
        StringAssert.Contains(error.Diagnostic.Message, version);
        StringAssert.Contains(error.Diagnostic.Message, "buildx");
    }

    [TestMethod]
    [DataRow("18.06.3-ce")]
    [DataRow("17.03.1")]
    [DataRow("")]
    [DataRow("not-a-version")]
    public void A_client_older_than_18_09_or_unknown_is_BSEC2004(string version)
    {
        var error = Assert.ThrowsExactly<BuildSecretsException>(() => new DockerClientInfo(version, "20.10.24", HasBuildx: false).ChooseMode("docker"));
        Assert.AreEqual("BSEC2004", error.Diagnostic.Code);
        StringAssert.Contains(error.Diagnostic.Message, "'docker'");
    }

    [TestMethod]
    public void A_bare_name_is_looked_up_on_PATH_and_a_path_is_taken_as_is()
    {
        var folder = Infrastructure.Repository.NewTempFolder("path");
        try
        {
            var tool = Path.Combine(folder, "docker");
            File.WriteAllText(tool, string.Empty);
            Assert.AreEqual(tool, DockerClient.ResolveExecutable("docker", $"/nonexistent{Path.PathSeparator}{folder}", windows: false));
            Assert.AreEqual(tool, DockerClient.ResolveExecutable(tool, null, windows: false));
            Assert.IsNull(DockerClient.ResolveExecutable("docker", "/nonexistent", windows: false));
            Assert.IsNull(DockerClient.ResolveExecutable(Path.Combine(folder, "podman"), null, windows: false));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Without_docker_the_default_client_is_podman_and_a_named_client_is_not_replaced()
    {
        var folder = Infrastructure.Repository.NewTempFolder("path");
        try
        {
            var podman = Path.Combine(folder, "podman");
            File.WriteAllText(podman, string.Empty);
            var client = DockerClient.Locate("docker", folder, windows: false);
            Assert.AreEqual(podman, client.Executable);
            Assert.AreEqual("podman", client.DisplayName);
            var error = Assert.ThrowsExactly<BuildSecretsException>(() => DockerClient.Locate("nerdctl", folder, windows: false));
            Assert.AreEqual("BSEC2001", error.Diagnostic.Code);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void On_Windows_a_bare_name_also_finds_name_exe()
    {
        var folder = Infrastructure.Repository.NewTempFolder("path");
        try
        {
            var tool = Path.Combine(folder, "docker.exe");
            File.WriteAllText(tool, string.Empty);
            Assert.AreEqual(tool, DockerClient.ResolveExecutable("docker", folder, windows: true));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
