using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// The daemon's own API on its unix socket, for real: Docker 20.10 (classic store, the default
/// socket) and Docker 26 (containerd image store, DOCKER_HOST) answer which image a name stands
/// for as their client does, and say so of a name they lack.
/// </summary>
[TestClass]
public sealed class EngineSocketOnEnginesTests
{
    private readonly string _tag = "buildsecrets-e2e/socket-" + Guid.NewGuid().ToString("N").Substring(0, 12) + ":1";

    /// <summary>The engines with a daemon.</summary>
    public static IEnumerable<object[]> DockerEngines => [[TestEngine.Docker20], [TestEngine.Docker26]];

    [TestMethod]
    [DynamicData(nameof(DockerEngines))]
    public async Task The_socket_answers_what_the_client_answers(string engineName)
    {
        var engine = TestEngine.Named(engineName);
        await engine.EnsureReadyAsync();
        var socket = engine.Socket;
        Assert.AreEqual(engineName == TestEngine.Docker26 ? engine.Environment["DOCKER_HOST"]!.Substring("unix://".Length) : "/var/run/docker.sock", socket);
        var tagged = await engine.RunAsync("tag", DockerEngine.BaseImage, _tag);
        Assert.AreEqual(0, tagged.ExitCode, tagged.ToString());
        try
        {
            var client = await engine.RunAsync("image", "inspect", "--format", "{{.Id}}", DockerEngine.BaseImage, _tag);
            Assert.AreEqual(0, client.ExitCode, client.ToString());

            var ids = EngineSocket.ImageIds(socket!, [DockerEngine.BaseImage, _tag], CancellationToken.None);

            Assert.IsNotNull(ids);
            CollectionAssert.AreEqual(client.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), ids.ToArray());
            StringAssert.StartsWith(ids[0], "sha256:");
            Assert.IsNull(EngineSocket.ImageIds(socket!, [DockerEngine.BaseImage, "buildsecrets-e2e/missing-" + Guid.NewGuid().ToString("N") + ":1"], CancellationToken.None));
        }
        finally
        {
            await engine.RunAsync("image", "rm", _tag);
        }
    }
}
