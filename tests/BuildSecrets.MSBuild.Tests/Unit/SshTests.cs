using BuildSecrets.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>DockerSsh items through the task with a fake docker client.</summary>
[TestClass]
public sealed class SshTests : TaskWithFakeDockerTests
{



    private static TaskItem Ssh(string id, string? source = null)
    {
        var item = new TaskItem(id);
        if (source is not null)
        {
            item.SetMetadata("Source", source);
        }

        return item;
    }

    [TestMethod]
    public void The_agent_and_a_key_file_are_forwarded_with_ssh()
    {
        var socket = Harness.WriteFile("agent.sock", string.Empty);
        var key = Harness.WriteFile("keys/deploy", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        Harness.Environment["SSH_AUTH_SOCK"] = socket;
        Harness.Task.Ssh = [Ssh("default"), Ssh("deploy", "keys/deploy")];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        StringAssert.Contains(Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal)), $"--ssh default --ssh deploy={key}");
    }

    [TestMethod]
    public void The_agent_without_SSH_AUTH_SOCK_is_BSEC1021()
    {
        Harness.Task.Ssh = [Ssh("default")];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1021" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "SSH_AUTH_SOCK is not set");
        Assert.AreEqual(0, Docker.Invocations.Count);
    }

    [TestMethod]
    public void The_agent_whose_socket_is_gone_is_BSEC1021_naming_it()
    {
        Harness.Environment["SSH_AUTH_SOCK"] = "/tmp/no-such-agent.sock";
        Harness.Task.Ssh = [Ssh("default")];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1021" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'/tmp/no-such-agent.sock'");
    }

    [TestMethod]
    public void A_missing_key_file_is_BSEC1022_naming_it()
    {
        Harness.Task.Ssh = [Ssh("deploy", "keys/missing")];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1022" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, Path.Combine(Harness.ProjectDirectory, "keys", "missing"));
    }

    [TestMethod]
    [DataRow("bad,id")]
    [DataRow("dup")]
    public void An_invalid_or_repeated_id_is_BSEC1023(string id)
    {
        var key = Harness.WriteFile("keys/k", "key");
        Harness.Task.Ssh = id == "dup" ? [Ssh("dup", key), Ssh("dup", key)] : [Ssh(id, key)];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1023" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, $"'{id}'");
    }
}
