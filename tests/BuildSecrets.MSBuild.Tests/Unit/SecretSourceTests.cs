using BuildSecrets.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>Value and optional secrets, through the task with a fake docker client.</summary>
[TestClass]
public sealed class SecretSourceTests : TaskWithFakeDockerTests
{
    private const string Canary = "Canary-93e5d1f0a7";

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
        var received = Path.Combine(Harness.ProjectDirectory, "received");
        UseDocker(FakeDocker.Create(build: $"printf '%s' \"$BUILDSECRETS_SECRET_0\" > '{received}'\n" + FakeDocker.SuccessfulBuild));
        Harness.Task.Secrets = [Secret("token", ("Value", Canary))];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(Canary, File.ReadAllText(received));
        var build = Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        StringAssert.Contains(build, "--secret id=token,env=BUILDSECRETS_SECRET_0");
        Assert.IsFalse(build.Contains(Canary, StringComparison.Ordinal), build);
        Assert.AreEqual("BSEC1016", Harness.Engine.Warnings.Single().Code);
        StringAssert.Contains(Harness.Engine.Warnings[0].Message, "'token'");
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), Harness.Engine.Log);
    }

    [TestMethod]
    public void An_empty_Value_is_BSEC1015()
    {
        Harness.Task.Secrets = [Secret("token", ("Value", string.Empty))];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1015" }, Harness.ErrorCodes.ToArray());
        Assert.AreEqual(0, Docker.Invocations.Count);
    }

    [TestMethod]
    public void Value_with_another_source_is_BSEC1002()
    {
        Harness.Task.Secrets = [Secret("token", ("Value", Canary), ("EnvironmentVariable", "TOKEN"))];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1002" }, Harness.ErrorCodes.ToArray());
    }

    [TestMethod]
    [DataRow("Source", "missing/netrc")]
    [DataRow("EnvironmentVariable", "UNSET_OPTIONAL")]
    [DataRow("Value", "")]
    public void An_optional_secret_whose_source_is_absent_is_left_out_with_a_message(string metadata, string value)
    {
        Harness.Task.Secrets = [Secret("optional", (metadata, value), ("Required", "false"))];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        var build = Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        Assert.IsFalse(build.Contains("--secret", StringComparison.Ordinal), build);
        StringAssert.Contains(Harness.Engine.Log, "the optional DockerSecret 'optional' has no value here");
    }

    [TestMethod]
    public void An_optional_secret_that_is_present_is_passed()
    {
        Harness.Environment["OPTIONAL_TOKEN"] = Canary;
        Harness.Task.Secrets = [Secret("optional", ("EnvironmentVariable", "OPTIONAL_TOKEN"), ("Required", "false"))];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        StringAssert.Contains(Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal)), "--secret id=optional,env=OPTIONAL_TOKEN");
    }
}
