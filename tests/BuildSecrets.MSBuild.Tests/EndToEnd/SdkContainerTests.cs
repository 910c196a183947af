using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.EndToEnd;

/// <summary>
/// Beside the .NET SDK's own container support (PublishContainer), which names its image the same
/// way: the SDK's image, never scanned, must never end up under the name this package proved.
/// The SDK's targets run for real until this package stops them (BSEC1040), before they build
/// anything (so no base image has to be pulled).
/// </summary>
[TestClass]
public sealed class SdkContainerTests
{
    private const string Console = "Microsoft.NET.Sdk";
    private const string Web = "Microsoft.NET.Sdk.Web";

    private readonly string _repository = "buildsecrets-e2e/sdkcontainer-" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CheckEngine(TestContext _) => await DockerEngine.EnsureReadyAsync();

    [TestCleanup]
    public async Task RemoveImage() => await DockerEngine.RemoveImageAsync(_repository + ":latest");

    [TestMethod]
    [DataRow(Console, "-t:PublishContainer", true)]
    [DataRow(Web, "-t:PublishContainer", true)]
    [DataRow(Web, "-p:PublishProfile=DefaultContainer", true)]
    [DataRow(Console, "-p:EnableSdkContainerSupport=true", false)]
    public async Task The_SDKs_PublishContainer_in_the_same_publish_fails_with_BSEC1040_and_leaves_only_a_scanned_image_under_the_name(
        string sdk, string argument, bool refused)
    {
        using var consumer = await ConsumerProject.CreateAsync(
            TestContext.TestName!,
            """
              <ItemGroup>
                <DockerSecret Include="token" EnvironmentVariable="SDK_CONTAINER_TOKEN" />
              </ItemGroup>
            """,
            $"FROM {DockerEngine.BaseImage}\nCOPY . /app\nRUN --mount=type=secret,id=token test -s /run/secrets/token\n",
            sdk == Web ? ConsumerProject.WebProgram : ConsumerProject.DefaultProgram,
            sdk);

        var publish = await consumer.RunDotnetAsync(
            "publish",
            new Dictionary<string, string?> { ["SDK_CONTAINER_TOKEN"] = "token-" + Guid.NewGuid().ToString("N") },
            [argument, "-p:DockerBuildNetwork=none", $"-p:DockerCli={DockerEngine.Cli}", $"-p:ContainerRepository={_repository}"]);

        Assert.AreEqual(refused, publish.ExitCode != 0, publish.ToString());
        Assert.AreEqual(refused, publish.Output.Contains("error BSEC1040:", StringComparison.Ordinal), publish.ToString());
        Assert.IsFalse(publish.Output.Contains("error CONTAINER", StringComparison.Ordinal), "the SDK's container targets got as far as building");
        var built = ConsumerProject.LoggedImageId(publish.Output, _repository + ":latest");
        var inspect = await DockerEngine.RunAsync("image", "inspect", "--format", "{{.Id}}", _repository + ":latest");
        if (built is null)
        {
            Assert.IsTrue(refused, $"the image was not built: {publish}");
            Assert.AreNotEqual(0, inspect.ExitCode, $"an image this package did not build is under the name: {inspect}");
        }
        else
        {
            StringAssert.Contains(publish.Output, "none found", "the image was not scanned");
            Assert.AreEqual(built, inspect.Output.Trim(), "the image under the name is not the one this package built and scanned");
        }
    }
}
