namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>Base of the test classes that run the task in a fresh project folder against a fresh fake docker client.</summary>
public abstract class TaskWithFakeDockerTests
{
    internal TaskHarness Harness { get; private set; } = null!;

    internal FakeDocker Docker { get; private set; } = null!;

    [TestInitialize]
    public void CreateHarnessAndFakeDocker()
    {
        Harness = new TaskHarness();
        Docker = FakeDocker.Create();
        Harness.Task.DockerCli = Docker.Path;
    }

    [TestCleanup]
    public void DeleteHarnessAndFakeDocker()
    {
        Docker.Dispose();
        Harness.Dispose();
    }
}
