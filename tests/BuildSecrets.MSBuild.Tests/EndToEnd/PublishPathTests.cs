using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// Every way a project is published builds, scans and names the image, for a console project
/// (Microsoft.NET.Sdk) and a web project (Microsoft.NET.Sdk.Web): dotnet publish, the SDK's
/// msbuild -t:Publish, a folder publish profile as Visual Studio writes it, and DeployOnBuild=true
/// with that profile. Each row publishes its own throw-away consumer against the real engine.
/// </summary>
[TestClass]
public sealed class PublishPathTests
{
    private const string Console = "Microsoft.NET.Sdk";
    private const string Web = "Microsoft.NET.Sdk.Web";

    private static readonly string Dockerfile = $"""
        FROM {DockerEngine.BaseImage}
        WORKDIR /app
        COPY . /app
        RUN --mount=type=secret,id=token test -s /run/secrets/token && echo checked > /app/checked.txt
        ENTRYPOINT ["dotnet", "/app/Consumer.dll"]
        """;

    /// <summary>Visual Studio's folder profile of a console project: PublishDir.</summary>
    private const string ConsoleFolderProfile = """
        <Project>
          <PropertyGroup>
            <Configuration>Release</Configuration>
            <Platform>Any CPU</Platform>
            <PublishDir>bin\Release\net10.0\folder-profile\</PublishDir>
            <PublishProtocol>FileSystem</PublishProtocol>
            <_TargetId>Folder</_TargetId>
          </PropertyGroup>
        </Project>
        """;

    /// <summary>Visual Studio's folder profile of a web project: WebPublishMethod FileSystem and PublishUrl.</summary>
    private const string WebFolderProfile = """
        <Project>
          <PropertyGroup>
            <WebPublishMethod>FileSystem</WebPublishMethod>
            <PublishProvider>FileSystem</PublishProvider>
            <LastUsedBuildConfiguration>Release</LastUsedBuildConfiguration>
            <LastUsedPlatform>Any CPU</LastUsedPlatform>
            <LaunchSiteAfterPublish>false</LaunchSiteAfterPublish>
            <ExcludeApp_Data>false</ExcludeApp_Data>
            <PublishUrl>bin\Release\net10.0\folder-profile\</PublishUrl>
            <DeleteExistingFiles>true</DeleteExistingFiles>
            <_TargetId>Folder</_TargetId>
          </PropertyGroup>
        </Project>
        """;

    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = "buildsecrets-e2e/paths-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    private async Task<ConsumerProject> CreateAsync(string sdk)
    {
        var consumer = await ConsumerProject.CreateAsync(
            TestContext.TestName!,
            """
              <ItemGroup>
                <DockerSecret Include="token" EnvironmentVariable="PATHS_TOKEN" />
              </ItemGroup>
            """,
            Dockerfile,
            sdk == Web ? ConsumerProject.WebProgram : ConsumerProject.DefaultProgram,
            sdk);
        consumer.WriteProjectFile("Properties/PublishProfiles/FolderProfile.pubxml", sdk == Web ? WebFolderProfile : ConsoleFolderProfile);
        return consumer;
    }

    private string[] Properties => [$"-p:DockerCli={DockerEngine.Cli}", "-p:DockerBuildNetwork=none", $"-p:ContainerRepository={_repository}"];

    private Dictionary<string, string?> Environment => new() { ["PATHS_TOKEN"] = _canary };

    [TestMethod]
    [DataRow(Console, "publish", "bin/Release/net10.0/publish/")]
    [DataRow(Console, "msbuild", "bin/Release/net10.0/publish/")]
    [DataRow(Console, "profile", "bin/Release/net10.0/folder-profile/")]
    [DataRow(Console, "deploy", "bin/Release/net10.0/folder-profile/")]
    [DataRow(Web, "publish", "bin/Release/net10.0/publish/")]
    [DataRow(Web, "msbuild", "bin/Release/net10.0/publish/")]
    [DataRow(Web, "profile", "bin/Release/net10.0/publish/")]
    [DataRow(Web, "deploy", "obj/Release/net10.0/PubTmp/Out/")]
    public async Task Every_publish_path_builds_and_scans_the_image_from_the_complete_publish_output(string sdk, string path, string context)
    {
        using var consumer = await CreateAsync(sdk);
        string[] arguments = path switch
        {
            "publish" => [],
            "msbuild" => ["-restore", "-t:Publish"],
            "profile" => ["-p:PublishProfile=FolderProfile"],
            "deploy" => ["-p:DeployOnBuild=true", "-p:PublishProfile=FolderProfile"],
            _ => throw new ArgumentOutOfRangeException(nameof(path)),
        };
        var verb = path switch { "msbuild" => "msbuild", "deploy" => "build", _ => "publish" };

        var publish = await consumer.RunDotnetAsync(verb, Environment, [.. arguments, .. Properties]);

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, $" {Path.Combine(consumer.ProjectFolder, context)}\n", "the build context is not the folder this path publishes to");
        StringAssert.Contains(publish.Output, "none found", "the image was not scanned");
        var imageId = await AssertImageAsync(publish);
        Assert.IsFalse(publish.Output.Contains(_canary, StringComparison.Ordinal), "the secret is in the log");

        var files = await DockerEngine.RunAsync("run", "--rm", "--network", "none", "--entrypoint", "ls", imageId, "/app");
        Assert.AreEqual(0, files.ExitCode, files.ToString());
        CollectionAssert.IsSubsetOf(
            sdk == Web ? new[] { "Consumer.dll", "checked.txt", "web.config" } : new[] { "Consumer.dll", "checked.txt" },
            files.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            "the image misses part of the publish output (built before publish had finished?)");
        if (path == "deploy" && sdk == Web)
        {
            Assert.IsTrue(File.Exists(Path.Combine(consumer.ProjectFolder, "bin", "Release", "net10.0", "folder-profile", "Consumer.dll")), "the profile's FileSystemPublish did not run");
        }
    }

    [TestMethod]
    public async Task The_DockerBuild_target_alone_builds_the_image_again_from_the_last_publish()
    {
        using var consumer = await CreateAsync(Console);
        var publish = await consumer.RunDotnetAsync("publish", Environment, Properties);
        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        await DockerEngine.RemoveImageAsync(_repository + ":latest");

        var alone = await consumer.RunDotnetAsync("msbuild", Environment, ["-t:DockerBuild", .. Properties]);

        Assert.AreEqual(0, alone.ExitCode, alone.ToString());
        Assert.IsFalse(alone.Output.Contains("CoreCompile:", StringComparison.Ordinal), "DockerBuild alone built the project");
        await AssertImageAsync(alone);
    }

    /// <summary>The "Consumer -> image (id)" line names the tagged image; returns its id.</summary>
    private async Task<string> AssertImageAsync(CommandOutcome outcome)
    {
        var imageId = ConsumerProject.LoggedImageId(outcome.Output, _repository + ":latest");
        Assert.IsNotNull(imageId, $"no 'Consumer -> {_repository}:latest' line: {outcome}");
        StringAssert.StartsWith(imageId, "sha256:");
        var inspect = await DockerEngine.RunAsync("image", "inspect", "--format", "{{.Id}}", _repository + ":latest");
        Assert.AreEqual(imageId, inspect.Output.Trim(), inspect.ToString());
        return imageId;
    }
}
