using BuildSecrets.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>Value and optional secrets, through the task with a fake docker client.</summary>
[TestClass]
public sealed class SecretSourceTests
{
    private const string Canary = "Canary-93e5d1f0a7";

    private TaskHarness _harness = null!;

    [TestInitialize]
    public void CreateHarness() => _harness = new TaskHarness();

    [TestCleanup]
    public void DeleteHarness() => _harness.Dispose();

    private static TaskItem Secret(string id, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(id);
        foreach (var (name, value) in metadata)
        {
            item.SetMetadata(name, value);
        }

        return item;
    }

    [TestMethod]
    public void A_Value_secret_reaches_docker_through_its_environment_only_with_warning_BSEC1016()
    {
        var received = Path.Combine(_harness.ProjectDirectory, "received");
        using var docker = FakeDocker.Create(build: $"printf '%s' \"$BUILDSECRETS_SECRET_0\" > '{received}'\n" + FakeDocker.SuccessfulBuild);
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [Secret("token", ("Value", Canary))];

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        Assert.AreEqual(Canary, File.ReadAllText(received));
        var build = docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        StringAssert.Contains(build, "--secret id=token,env=BUILDSECRETS_SECRET_0");
        Assert.IsFalse(build.Contains(Canary, StringComparison.Ordinal), build);
        Assert.AreEqual("BSEC1016", _harness.Engine.Warnings.Single().Code);
        StringAssert.Contains(_harness.Engine.Warnings[0].Message, "'token'");
        Assert.IsFalse(_harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), _harness.Engine.Log);
    }

    [TestMethod]
    public void An_empty_Value_is_BSEC1015()
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [Secret("token", ("Value", string.Empty))];

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1015" }, _harness.ErrorCodes.ToArray());
        Assert.AreEqual(0, docker.Invocations.Count);
    }

    [TestMethod]
    public void Value_with_another_source_is_BSEC1002()
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [Secret("token", ("Value", Canary), ("EnvironmentVariable", "TOKEN"))];

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1002" }, _harness.ErrorCodes.ToArray());
    }

    [TestMethod]
    [DataRow("Source", "missing/netrc")]
    [DataRow("EnvironmentVariable", "UNSET_OPTIONAL")]
    [DataRow("Value", "")]
    public void An_optional_secret_whose_source_is_absent_is_left_out_with_a_message(string metadata, string value)
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Task.Secrets = [Secret("optional", (metadata, value), ("Required", "false"))];

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        var build = docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        Assert.IsFalse(build.Contains("--secret", StringComparison.Ordinal), build);
        StringAssert.Contains(_harness.Engine.Log, "the optional DockerSecret 'optional' has no value here");
    }

    [TestMethod]
    public void An_optional_secret_that_is_present_is_passed()
    {
        using var docker = FakeDocker.Create();
        _harness.Task.DockerCli = docker.Path;
        _harness.Environment["OPTIONAL_TOKEN"] = Canary;
        _harness.Task.Secrets = [Secret("optional", ("EnvironmentVariable", "OPTIONAL_TOKEN"), ("Required", "false"))];

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        StringAssert.Contains(docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal)), "--secret id=optional,env=OPTIONAL_TOKEN");
    }
}
