namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>
/// Base of every test class that runs the task: a fresh project folder (<see cref="TaskHarness"/>)
/// and a fresh fake docker client, which a test may replace with <see cref="UseDocker"/>.
/// </summary>
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

    /// <summary>Replaces the fake client with one set up otherwise; the task then runs that one.</summary>
    internal FakeDocker UseDocker(FakeDocker docker)
    {
        Docker.Dispose();
        Docker = docker;
        Harness.Task.DockerCli = docker.Path;
        return docker;
    }

    [TestCleanup]
    public void DeleteHarnessAndFakeDocker()
    {
        Docker.Dispose();
        Harness.Dispose();
    }
}
