using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>Leaks found before docker starts, through the task with a fake docker client.</summary>
[TestClass]
public sealed class LeakPrecheckTests
{
    private const string Canary = "Canary-4b1d0c2e9a";

    private TaskHarness _harness = null!;
    private FakeDocker _docker = null!;

    [TestInitialize]
    public void CreateHarness()
    {
        _harness = new TaskHarness();
        _docker = FakeDocker.Create();
        _harness.Task.DockerCli = _docker.Path;
    }

    [TestCleanup]
    public void DeleteHarness()
    {
        _docker.Dispose();
        _harness.Dispose();
    }

    private void AssertStoppedBeforeDocker(params string[] codes)
    {
        Assert.IsFalse(_harness.Execute());
        CollectionAssert.AreEqual(codes, _harness.ErrorCodes.ToArray(), _harness.Engine.Log);
        Assert.AreEqual(0, _docker.Invocations.Count, "docker was started");
        Assert.IsFalse(_harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), _harness.Engine.Log);
    }

    [TestMethod]
    public void A_secret_file_inside_the_context_is_BSEC4001()
    {
        var netrc = _harness.WriteFile("publish/netrc", $"machine h login u password {Canary}\n");
        _harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "publish/netrc")];

        AssertStoppedBeforeDocker("BSEC4001");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerSecret 'netrc'");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, netrc);
    }

    [TestMethod]
    public void A_copy_of_the_secret_in_the_context_is_BSEC4002_naming_the_copy()
    {
        _harness.WriteFile("netrc", $"machine h login u password {Canary}\n");
        var copy = _harness.WriteFile("publish/config/settings.txt", $"user=u\npassword {Canary}\n");
        _harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        AssertStoppedBeforeDocker("BSEC4002");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, copy);
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'netrc'");
    }

    [TestMethod]
    public void A_value_found_across_the_search_chunk_boundary_is_still_found()
    {
        var folder = Repository.NewTempFolder("chunks");
        try
        {
            var file = Path.Combine(folder, "big.bin");
            var data = new byte[(1 << 20) + 100];
            var needle = System.Text.Encoding.UTF8.GetBytes(Canary);
            Array.Copy(needle, 0, data, (1 << 20) - 5, needle.Length);
            File.WriteAllBytes(file, data);
            CollectionAssert.AreEqual(new[] { 0 }, ContextSearch.FindInFile(file, [Canary]).ToArray());
            CollectionAssert.AreEqual(Array.Empty<int>(), ContextSearch.FindInFile(file, ["not-in-there"]).ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void A_build_argument_carrying_a_secret_is_BSEC4003()
    {
        _harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        _harness.Environment["TOKEN"] = Canary;
        _harness.Task.BuildArgs = [TaskHarness.BuildArg("NPM_TOKEN", "prefix-" + Canary)];

        AssertStoppedBeforeDocker("BSEC4003");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerBuildArg 'NPM_TOKEN'");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "DockerSecret 'token'");
    }

    [TestMethod]
    public void A_secret_value_written_into_the_Dockerfile_is_BSEC4004_with_its_line()
    {
        _harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        _harness.Environment["TOKEN"] = Canary;
        _harness.WriteFile("Dockerfile", $"FROM scratch\nENV TOKEN={Canary}\n");

        AssertStoppedBeforeDocker("BSEC4004");
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "(line 2)");
    }

    [TestMethod]
    public void A_clean_project_starts_docker()
    {
        _harness.WriteFile("netrc", $"machine h login u password {Canary}\n");
        _harness.WriteFile("publish/app.dll", "not a secret");
        _harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);
        Assert.AreNotEqual(0, _docker.Invocations.Count);
    }
}
