using BuildSecrets.MSBuild.Tests.Infrastructure;
using CliWrap;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>DockerSsh against the real engine: a throw-away key in a local ssh-agent, and the same key as a file.</summary>
[TestClass]
public sealed class SshForwardingTests
{
    private readonly string _repository = "buildsecrets-e2e/ssh-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    [TestMethod]
    public async Task The_agent_and_a_key_file_reach_RUN_steps_that_mount_them()
    {
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, """
              <ItemGroup>
                <DockerSsh Include="default" />
                <DockerSsh Include="deploy" Source="../id_ed25519" />
              </ItemGroup>
            """, $"""
            FROM {DockerEngine.BaseImage}
            WORKDIR /app
            RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo agent > /app/agent.txt
            RUN --mount=type=ssh,id=deploy test -S "$SSH_AUTH_SOCK" && echo deploy > /app/deploy.txt
            """);
        var key = Path.Combine(consumer.Folder, "id_ed25519");
        var socket = Path.Combine(consumer.Folder, "agent.sock");
        Assert.AreEqual(0, (await Commands.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "buildsecrets-test", "-f", key])).ExitCode);

        using var stopAgent = new CancellationTokenSource();
        var agent = Cli.Wrap("ssh-agent").WithArguments(["-D", "-a", socket]).WithValidation(CommandResultValidation.None).ExecuteAsync(stopAgent.Token);
        try
        {
            for (var i = 0; i < 100 && !File.Exists(socket); i++)
            {
                await Task.Delay(50);
            }

            var environment = new Dictionary<string, string?> { ["SSH_AUTH_SOCK"] = socket };
            Assert.AreEqual(0, (await Commands.RunAsync("ssh-add", ["-q", key], environment: environment)).ExitCode, "ssh-add failed");

            var publish = await consumer.PublishAsync(environment, $"DockerCli={DockerEngine.Cli}", "DockerBuildNetwork=none", $"ContainerRepository={_repository}");

            Assert.AreEqual(0, publish.ExitCode, publish.ToString());
            StringAssert.Contains(publish.Output, $"--ssh default --ssh deploy={key}");
            var files = await DockerEngine.RunAsync("run", "--rm", "--network", "none", "--entrypoint", "cat", _repository + ":latest", "/app/agent.txt", "/app/deploy.txt");
            Assert.AreEqual("agent\ndeploy", files.Output.Trim(), files.ToString());
        }
        finally
        {
            stopAgent.Cancel();
            try
            {
                await agent;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
