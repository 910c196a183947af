using BuildSecrets.MSBuild.Tests.Infrastructure;
using BuildSecrets.Samples;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// The tutorial against a real engine with BuildKit: a basic-auth server on 127.0.0.1, a netrc
/// outside the project, a Dockerfile that downloads the message through the secret mount, and
/// the real 'dotnet publish' of a consumer that references the packed package.
/// </summary>
[TestClass]
public sealed class TutorialTests
{
    public const string Dockerfile = $"""
        FROM {DockerEngine.BaseImage}
        ARG MESSAGE_URL
        WORKDIR /app
        COPY . /app
        RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n "$MESSAGE_URL" -o /app/message.txt
        ENTRYPOINT ["dotnet", "/app/Consumer.dll"]
        """;

    private readonly string _password = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/tutorial-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    private string Netrc => $"machine 127.0.0.1\nlogin admin\npassword {_password}\n";

    private static string ProjectBody(string secret, string url) => $"""
          <ItemGroup>
            {secret}
            <DockerBuildArg Include="MESSAGE_URL" Value="{url}" />
          </ItemGroup>
        """;

    private string[] Properties => [$"DockerCli={DockerEngine.Cli}", "DockerBuildNetwork=host", $"ContainerRepository={_repository}"];

    [TestMethod]
    public async Task The_tutorial_with_a_netrc_file_prints_Hello_Admin_and_leaves_no_trace_of_the_password()
    {
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await ConsumerProject.CreateAsync(
            TestContext.TestName!, ProjectBody("""<DockerSecret Include="netrc" Source="../netrc" />""", server.Url), Dockerfile);
        var netrc = consumer.WriteOutsideFile("netrc", Netrc);

        var publish = await consumer.PublishAsync(null, Properties);

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, $"built image '{_repository}'");
        StringAssert.Contains(publish.Output, $"--secret id=netrc,src={netrc}");
        StringAssert.Contains(publish.Output, "and secrets netrc in");
        Assert.AreEqual(1, server.AuthorizedRequests, "the build step did not authenticate to the server exactly once");
        await AssertTutorialImageAsync(publish, consumer);
    }

    [TestMethod]
    public async Task The_tutorial_with_the_netrc_in_the_projects_user_secrets_prints_Hello_Admin()
    {
        var userSecretsId = "buildsecrets-e2e-" + Guid.NewGuid().ToString("N");
        var store = Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".microsoft", "usersecrets", userSecretsId);
        try
        {
            using var server = new BasicAuthServer("admin", _password);
            using var consumer = await ConsumerProject.CreateAsync(
                TestContext.TestName!,
                $"<PropertyGroup><UserSecretsId>{userSecretsId}</UserSecretsId></PropertyGroup>" + ProjectBody("""<DockerSecret Include="netrc" UserSecret="Tutorial:Netrc" />""", server.Url),
                Dockerfile);
            // As a developer does; no log of this command is kept, since its arguments hold the netrc.
            var set = await Commands.RunAsync("dotnet", ["user-secrets", "set", "Tutorial:Netrc", Netrc, "--project", consumer.ProjectFolder]);
            Assert.AreEqual(0, set.ExitCode, "dotnet user-secrets set failed");

            var publish = await consumer.PublishAsync(null, Properties);

            Assert.AreEqual(0, publish.ExitCode, publish.ToString());
            StringAssert.Contains(publish.Output, "--secret id=netrc,env=BUILDSECRETS_SECRET_0");
            Assert.AreEqual(1, server.AuthorizedRequests, "the build step did not authenticate to the server exactly once");
            await AssertTutorialImageAsync(publish, consumer);
            foreach (var file in Directory.EnumerateFiles(consumer.TempFolder, "*", SearchOption.AllDirectories))
            {
                Assert.IsFalse(File.ReadAllText(file).Contains(_password, StringComparison.Ordinal), $"the password is in a temp file: {file}");
            }
        }
        finally
        {
            if (Directory.Exists(store))
            {
                Directory.Delete(store, recursive: true);
            }
        }
    }

    [TestMethod]
    public async Task The_tutorial_with_the_netrc_as_a_Value_prints_Hello_Admin_with_warning_BSEC1016()
    {
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await ConsumerProject.CreateAsync(
            TestContext.TestName!, ProjectBody("""<DockerSecret Include="netrc" Value="$(TutorialNetrc)" />""", server.Url), Dockerfile);

        var publish = await consumer.PublishAsync(null, [.. Properties, $"TutorialNetrc=machine 127.0.0.1 login admin password {_password}"]);

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "warning BSEC1016");
        Assert.AreEqual(1, server.AuthorizedRequests, "the build step did not authenticate to the server exactly once");
        var run = await DockerEngine.RunAsync("run", "--rm", "--network", "none", _repository + ":latest");
        Assert.AreEqual("Hello, Admin", run.Output.Trim(), run.ToString());
        CollectionAssert.AreEqual(Array.Empty<string>(), (await DockerEngine.FindInSavedImageAsync(_repository + ":latest", _password)).ToArray(), "the password is in the saved image");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task A_rotated_netrc_re_runs_the_download_only_with_Rotate(bool rotate)
    {
        var rotatedDockerfile = Dockerfile.Replace("ARG MESSAGE_URL", "ARG MESSAGE_URL\nARG BUILDSECRETS_NETRC_VERSION", StringComparison.Ordinal);
        var body = ProjectBody($"""<DockerSecret Include="netrc" Source="../netrc" Rotate="{rotate.ToString().ToLowerInvariant()}" />""", "$(MessageUrl)");
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, body, rotatedDockerfile);
        int port;
        using (var first = new BasicAuthServer("admin", _password))
        {
            port = first.Port;
            consumer.WriteOutsideFile("netrc", Netrc);
            var publish = await consumer.PublishAsync(null, [.. Properties, $"MessageUrl={first.Url}"]);
            Assert.AreEqual(0, publish.ExitCode, publish.ToString());
            Assert.AreEqual(1, first.AuthorizedRequests);
        }

        // The password is rotated: the server now accepts only the new one, at the same address.
        var rotated = _password + "-rotated";
        using var second = new BasicAuthServer("admin", rotated, port);
        consumer.WriteOutsideFile("netrc", $"machine 127.0.0.1\nlogin admin\npassword {rotated}\n");
        var again = await consumer.PublishAsync(null, [.. Properties, $"MessageUrl={second.Url}"]);

        Assert.AreEqual(0, again.ExitCode, again.ToString());
        Assert.AreEqual(rotate ? 1 : 0, second.AuthorizedRequests, rotate ? "the step did not re-run with the new secret" : "without Rotate BuildKit reuses the cached step (docker/buildx#551)");
        Assert.IsFalse(again.Output.Contains(rotated, StringComparison.Ordinal), "the new password is in the log");
        var history = await DockerEngine.RunAsync("history", "--no-trunc", _repository + ":latest");
        Assert.IsFalse(history.Output.Contains(rotated, StringComparison.Ordinal), "the new password is in the history");
    }

    [TestMethod]
    public async Task A_failing_RUN_step_fails_the_publish_with_one_BSEC3001_error_naming_the_step()
    {
        using var server = new BasicAuthServer("admin", _password);
        using var consumer = await ConsumerProject.CreateAsync(
            TestContext.TestName!,
            ProjectBody("""<DockerSecret Include="netrc" Source="../netrc" />""", "http://127.0.0.1:1/"),
            Dockerfile);
        consumer.WriteOutsideFile("netrc", Netrc);

        var publish = await consumer.PublishAsync(null, Properties);

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        // MSBuild repeats every error in its closing summary: count distinct errors.
        var errors = publish.Output.Split('\n')
            .Where(l => l.Contains(": error BSEC", StringComparison.Ordinal))
            .Select(l => l.Substring(l.IndexOf(": error BSEC", StringComparison.Ordinal)).Trim())
            .Distinct()
            .ToArray();
        Assert.AreEqual(1, errors.Length, publish.ToString());
        StringAssert.Contains(errors[0], "error BSEC3001");
        StringAssert.Contains(errors[0], "RUN --mount=type=secret,id=netrc,target=/root/.netrc curl");
        StringAssert.Contains(errors[0], "exit code: 7");
        Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the build log");
        Assert.IsFalse(publish.Output.Contains("   at ", StringComparison.Ordinal), "the error carries a stack trace");
        var image = await DockerEngine.RunAsync("image", "inspect", _repository + ":latest");
        Assert.AreNotEqual(0, image.ExitCode, "a failed build left the image tagged");
    }

    private async Task AssertTutorialImageAsync(CommandOutcome publish, ConsumerProject consumer)
    {
        var image = _repository + ":latest";

        var run = await DockerEngine.RunAsync("run", "--rm", "--network", "none", image);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual("Hello, Admin", run.Output.Trim());

        var cat = await DockerEngine.RunAsync("run", "--rm", "--network", "none", "--entrypoint", "cat", image, "/root/.netrc");
        Assert.AreNotEqual(0, cat.ExitCode, $"/root/.netrc exists in the image: {cat}");

        await DockerEngine.AssertImageHasNoAsync(image, _password, "the password");

        Assert.IsFalse(publish.Output.Contains(_password, StringComparison.Ordinal), "the password is in the publish log");
        foreach (var file in Directory.EnumerateFiles(consumer.PublishFolder, "*", SearchOption.AllDirectories))
        {
            Assert.IsFalse(File.ReadAllText(file).Contains(_password, StringComparison.Ordinal), $"the password is in the publish output: {file}");
        }
    }
}
