using BuildSecrets.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>UserSecret secrets, read from the secrets.json of 'dotnet user-secrets', through the task with a fake docker client.</summary>
[TestClass]
public sealed class UserSecretTests : TaskWithFakeDockerTests
{
    private const string Canary = "Canary-user-2f7b9d3e1c";
    private const string UserSecretsId = "b7c1e8a2-0000-4000-8000-buildsecrets";

    private string _secretsJson = null!;

    [TestInitialize]
    public void UseAHomeWithUserSecrets()
    {
        var home = Path.Combine(Harness.ProjectDirectory, "home");
        Harness.Environment["HOME"] = home;
        Harness.Task.UserSecretsId = UserSecretsId;
        _secretsJson = Path.Combine(home, ".microsoft", "usersecrets", UserSecretsId, "secrets.json");
        Directory.CreateDirectory(Path.GetDirectoryName(_secretsJson)!);
    }

    private static TaskItem Secret(string key, bool required = true)
    {
        var item = new TaskItem("feed");
        item.SetMetadata("UserSecret", key);
        if (!required)
        {
            item.SetMetadata("Required", "false");
        }

        return item;
    }

    [TestMethod]
    [DataRow("{ \"Feed:Token\": \"" + Canary + "\" }", "Feed:Token")]
    [DataRow("{ \"Feed\": { \"Token\": \"" + Canary + "\" } }", "feed:token")]
    public void A_user_secret_reaches_docker_through_its_environment_only(string json, string key)
    {
        File.WriteAllText(_secretsJson, json);
        var received = Path.Combine(Harness.ProjectDirectory, "received");
        UseDocker(FakeDocker.Create(build: $"printf '%s' \"$BUILDSECRETS_SECRET_0\" > '{received}'\n" + FakeDocker.SuccessfulBuild));
        Harness.Task.Secrets = [Secret(key)];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(Canary, File.ReadAllText(received));
        var build = Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        StringAssert.Contains(build, "--secret id=feed,env=BUILDSECRETS_SECRET_0");
        Assert.IsFalse(build.Contains(Canary, StringComparison.Ordinal), build);
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), Harness.Engine.Log);
        Assert.AreEqual(0, Harness.Engine.Warnings.Count, Harness.Engine.Log);
    }

    [TestMethod]
    public void Without_a_UserSecretsId_it_is_BSEC1017()
    {
        Harness.Task.UserSecretsId = null;
        Harness.Task.Secrets = [Secret("Feed:Token")];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1017" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "dotnet user-secrets init");
        Assert.AreEqual(0, Docker.Invocations.Count);
    }

    [TestMethod]
    public void Without_a_secrets_json_it_is_BSEC1018_naming_the_file()
    {
        Harness.Task.Secrets = [Secret("Feed:Token")];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1018" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, _secretsJson);
    }

    [TestMethod]
    public void A_key_that_is_not_set_is_BSEC1019_naming_the_key()
    {
        File.WriteAllText(_secretsJson, "{ \"Other\": \"x\" }");
        Harness.Task.Secrets = [Secret("Feed:Token")];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1019" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'Feed:Token'");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "dotnet user-secrets set");
    }

    [TestMethod]
    public void A_secrets_json_that_is_not_JSON_is_BSEC1020()
    {
        File.WriteAllText(_secretsJson, "{ \"Feed:Token\": ");
        Harness.Task.Secrets = [Secret("Feed:Token")];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1020" }, Harness.ErrorCodes.ToArray());
    }

    [TestMethod]
    public void An_optional_user_secret_that_is_not_set_is_left_out()
    {
        File.WriteAllText(_secretsJson, "{ }");
        Harness.Task.Secrets = [Secret("Feed:Token", required: false)];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        StringAssert.Contains(Harness.Engine.Log, "the user secret 'Feed:Token' is not set");
        Assert.IsFalse(Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal)).Contains("--secret", StringComparison.Ordinal));
    }
}
