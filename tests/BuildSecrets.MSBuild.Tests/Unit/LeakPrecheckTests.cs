using BuildSecrets.MSBuild.Text;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>Leaks found before docker starts, through the task with a fake docker client.</summary>
[TestClass]
public sealed class LeakPrecheckTests : TaskWithFakeDockerTests
{
    private const string Canary = "Canary-4b1d0c2e9a";




    private void AssertStoppedBeforeDocker(params string[] codes)
    {
        Assert.IsFalse(Harness.Execute());
        CollectionAssert.AreEqual(codes, Harness.ErrorCodes.ToArray(), Harness.Engine.Log);
        Assert.AreEqual(0, Docker.Invocations.Count, "docker was started");
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), Harness.Engine.Log);
    }

    [TestMethod]
    public void A_secret_file_inside_the_context_is_BSEC4001()
    {
        var netrc = Harness.WriteFile("publish/netrc", $"machine h login u password {Canary}\n");
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "publish/netrc")];

        AssertStoppedBeforeDocker("BSEC4001");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "DockerSecret 'netrc'");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, netrc);
    }

    [TestMethod]
    public void The_secret_file_inside_the_context_is_BSEC4001_even_when_no_COPY_names_it()
    {
        Harness.WriteFile("publish/netrc", $"machine h login u password {Canary}\n");
        Harness.WriteFile("Dockerfile", "FROM scratch\nCOPY app.dll /app/\nRUN --mount=type=secret,id=netrc true\n");
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "publish/netrc")];

        AssertStoppedBeforeDocker("BSEC4001");
    }

    [TestMethod]
    public void A_copy_of_the_secret_in_a_context_file_no_COPY_takes_is_no_leak()
    {
        Harness.WriteFile("netrc", $"machine h login u password {Canary}\n");
        Harness.WriteFile("publish/config/settings.txt", $"user=u\npassword {Canary}\n");
        Harness.WriteFile("publish/app.dll", "not a secret");
        Harness.WriteFile("Dockerfile", "FROM scratch\nCOPY app.dll /app/\nRUN --mount=type=secret,id=netrc true\n");
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        Assert.AreEqual(0, Harness.Engine.Errors.Count, Harness.Engine.Log);
    }

    [TestMethod]
    public void A_copy_of_the_secret_in_a_context_file_a_COPY_takes_is_BSEC4002()
    {
        Harness.WriteFile("netrc", $"machine h login u password {Canary}\n");
        var copy = Harness.WriteFile("publish/config/settings.txt", $"user=u\npassword {Canary}\n");
        Harness.WriteFile("Dockerfile", "FROM scratch\nCOPY config/*.txt /app/config/\nRUN --mount=type=secret,id=netrc true\n");
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        AssertStoppedBeforeDocker("BSEC4002");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, copy);
    }

    [TestMethod]
    public void A_copy_of_the_secret_in_the_context_is_BSEC4002_naming_the_copy()
    {
        Harness.WriteFile("netrc", $"machine h login u password {Canary}\n");
        var copy = Harness.WriteFile("publish/config/settings.txt", $"user=u\npassword {Canary}\n");
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        AssertStoppedBeforeDocker("BSEC4002");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, copy);
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'netrc'");
    }

    [TestMethod]
    public void A_symbolic_link_in_the_context_to_the_secret_is_no_leak_since_docker_sends_the_link()
    {
        var netrc = Harness.WriteFile("netrc", $"machine h login u password {Canary}\n");
        Directory.CreateDirectory(Path.Combine(Harness.ProjectDirectory, "publish"));
        File.CreateSymbolicLink(Path.Combine(Harness.ProjectDirectory, "publish", "netrc-link"), netrc);
        Directory.CreateSymbolicLink(Path.Combine(Harness.ProjectDirectory, "publish", "folder-link"), Harness.ProjectDirectory);
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        Assert.AreEqual(0, Harness.Engine.Errors.Count, Harness.Engine.Log);
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
            CollectionAssert.AreEqual(new[] { 0 }, new MultiPatternSearch([System.Text.Encoding.UTF8.GetBytes(Canary)]).FindInFile(file).ToArray());
            CollectionAssert.AreEqual(Array.Empty<int>(), new MultiPatternSearch([System.Text.Encoding.UTF8.GetBytes("not-in-there")]).FindInFile(file).ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void A_build_argument_carrying_a_secret_is_BSEC4003()
    {
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        Harness.Environment["TOKEN"] = Canary;
        Harness.Task.BuildArgs = [TaskHarness.BuildArg("NPM_TOKEN", "prefix-" + Canary)];

        AssertStoppedBeforeDocker("BSEC4003");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "DockerBuildArg 'NPM_TOKEN'");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "DockerSecret 'token'");
    }

    [TestMethod]
    public void A_secret_value_written_into_the_Dockerfile_is_BSEC4004_with_its_line()
    {
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        Harness.Environment["TOKEN"] = Canary;
        Harness.WriteFile("Dockerfile", $"FROM scratch\nENV TOKEN={Canary}\n");

        AssertStoppedBeforeDocker("BSEC4004");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "(line 2)");
    }

    [TestMethod]
    public void A_clean_project_startsDocker()
    {
        Harness.WriteFile("netrc", $"machine h login u password {Canary}\n");
        Harness.WriteFile("publish/app.dll", "not a secret");
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", "netrc")];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        Assert.AreNotEqual(0, Docker.Invocations.Count);
    }
}
