using BuildSecrets.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>DockerSsh items through the task with a fake docker client.</summary>
[TestClass]
public sealed class SshTests
{
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
        var socket = _harness.WriteFile("agent.sock", string.Empty);
        var key = _harness.WriteFile("keys/deploy", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        _harness.Environment["SSH_AUTH_SOCK"] = socket;
        _harness.Task.Ssh = [Ssh("default"), Ssh("deploy", "keys/deploy")];

        Assert.IsTrue(_harness.Execute(), _harness.Engine.Log);

        StringAssert.Contains(_docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal)), $"--ssh default --ssh deploy={key}");
    }

    [TestMethod]
    public void The_agent_without_SSH_AUTH_SOCK_is_BSEC1021()
    {
        _harness.Task.Ssh = [Ssh("default")];

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1021" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "SSH_AUTH_SOCK is not set");
        Assert.AreEqual(0, _docker.Invocations.Count);
    }

    [TestMethod]
    public void The_agent_whose_socket_is_gone_is_BSEC1021_naming_it()
    {
        _harness.Environment["SSH_AUTH_SOCK"] = "/tmp/no-such-agent.sock";
        _harness.Task.Ssh = [Ssh("default")];

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1021" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, "'/tmp/no-such-agent.sock'");
    }

    [TestMethod]
    public void A_missing_key_file_is_BSEC1022_naming_it()
    {
        _harness.Task.Ssh = [Ssh("deploy", "keys/missing")];

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1022" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, Path.Combine(_harness.ProjectDirectory, "keys", "missing"));
    }

    [TestMethod]
    [DataRow("bad,id")]
    [DataRow("dup")]
    public void An_invalid_or_repeated_id_is_BSEC1023(string id)
    {
        var key = _harness.WriteFile("keys/k", "key");
        _harness.Task.Ssh = id == "dup" ? [Ssh("dup", key), Ssh("dup", key)] : [Ssh(id, key)];

        Assert.IsFalse(_harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1023" }, _harness.ErrorCodes.ToArray());
        StringAssert.Contains(_harness.Engine.Errors[0].Message, $"'{id}'");
    }
}
