using System.IO.Compression;
using System.Reflection;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Package;

/// <summary>
/// The .NET 10 MSBuild loads a ReadyToRun image of the task made for its platform
/// (tasks/net10.0/&lt;rid&gt;/), and any other MSBuild on .NET the IL build (tasks/net8.0/).
/// </summary>
[TestClass]
public sealed class ReadyToRunTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>What a ReadyToRun image's machine field holds: the processor, combined (xor) with the operating system.</summary>
    private static readonly Dictionary<string, ushort> Machines = new(StringComparer.Ordinal)
    {
        ["linux-x64"] = 0x8664 ^ 0x7B79,
        ["linux-arm64"] = 0xAA64 ^ 0x7B79,
        ["osx-x64"] = 0x8664 ^ 0x4644,
        ["osx-arm64"] = 0xAA64 ^ 0x4644,
        ["win-x64"] = 0x8664,
    };

    [TestMethod]
    [DataRow("linux-x64")]
    [DataRow("linux-arm64")]
    [DataRow("osx-x64")]
    [DataRow("osx-arm64")]
    [DataRow("win-x64")]
    public async Task Each_platform_folder_holds_precompiled_code_for_that_platform_beside_CliWrap(string platform)
    {
        using var package = ZipFile.OpenRead(await PackageFeed.PackageFileAsync());
        using var image = Read(package, $"tasks/net10.0/{platform}/BuildSecrets.MSBuild.dll");
        using var il = Read(package, "tasks/net8.0/BuildSecrets.MSBuild.dll");

        var headers = image.PEHeaders;
        Assert.IsTrue(headers.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, "no ReadyToRun header: the image is IL only");
        Assert.AreEqual(Machines[platform], (ushort)headers.CoffHeader.Machine, $"machine 0x{(ushort)headers.CoffHeader.Machine:x4}");
        Assert.AreEqual(0, il.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size, "the net8.0 build is IL for every runtime and platform");
        Assert.AreEqual(AssemblyVersion(il), AssemblyVersion(image));
        Assert.IsNotNull(package.GetEntry($"tasks/net10.0/{platform}/CliWrap.dll"), "CliWrap is not beside the image");
    }

    [TestMethod]
    public async Task The_image_for_this_machine_runs_precompiled_on_this_runtime_and_the_IL_build_does_not()
    {
        // The test host runs on the runtime the SDK's MSBuild runs on here. The same parser, run
        // for the first time in each build's own load context: the IL build's methods go through
        // the JIT, the image's do not (only a few generic instantiations may).
        var extracted = await PackageFeed.ExtractedFolderAsync();
        var platform = RuntimeInformation.RuntimeIdentifier;
        var image = Path.Combine(extracted, "tasks", "net10.0", platform, "BuildSecrets.MSBuild.dll");
        Assert.IsTrue(File.Exists(image), $"the package has no image for {platform}, the platform CI runs on");

        var precompiled = JittedMethodsOnFirstParse(image);
        var jitted = JittedMethodsOnFirstParse(Path.Combine(extracted, "tasks", "net8.0", "BuildSecrets.MSBuild.dll"));

        Assert.IsTrue(jitted >= 20, $"the IL build's first parse compiled only {jitted} methods (the image's {precompiled}): the measure does not see the JIT");
        TestContext.WriteLine($"first parse: image {precompiled} methods jitted, IL build {jitted}");
        Assert.IsTrue(precompiled * 5 <= jitted, $"the image's first parse compiled {precompiled} methods, the IL build's {jitted}: its precompiled code is not used");
    }

    [TestMethod]
    public async Task The_targets_pick_the_image_for_the_platform_MSBuild_runs_on_and_the_IL_build_without_one()
    {
        var extracted = await PackageFeed.ExtractedFolderAsync();
        var copy = Repository.NewTempFolder("package-copy");
        foreach (var file in Directory.EnumerateFiles(extracted, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(extracted, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var project = Path.Combine(Repository.NewTempFolder("task-folder"), "Evaluate.proj");
        File.WriteAllText(project, $"""<Project><Import Project="{Path.Combine(copy, "build", "BuildSecrets.MSBuild.targets")}" /></Project>""");
        var platform = RuntimeInformation.RuntimeIdentifier;

        Assert.AreEqual(
            Path.GetFullPath(Path.Combine(copy, "tasks", "net10.0", platform, "BuildSecrets.MSBuild.dll")),
            Path.GetFullPath(await TaskAssemblyAsync(project)));

        Directory.Delete(Path.Combine(copy, "tasks", "net10.0", platform), recursive: true);
        Assert.AreEqual(
            Path.GetFullPath(Path.Combine(copy, "tasks", "net8.0", "BuildSecrets.MSBuild.dll")),
            Path.GetFullPath(await TaskAssemblyAsync(project)));
    }

    [TestMethod]
    public async Task A_consumer_published_with_the_dotnet_CLI_loads_the_image()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, string.Empty, "FROM scratch\nCOPY . /app\n");

        var publish = await consumer.RunDotnetAsync("publish", null, [$"-p:DockerCli={docker.Path}", "-v:diag"]);

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        var expected = Path.Combine("tasks", "net10.0", RuntimeInformation.RuntimeIdentifier, "BuildSecrets.MSBuild.dll");
        var loaded = publish.Output.Split('\n').Where(l => l.Contains("Using \"BuildDockerImage\" task from assembly", StringComparison.Ordinal)).ToArray();
        Assert.IsTrue(loaded.Length > 0 && loaded.All(l => l.Contains(expected, StringComparison.Ordinal)), string.Join(Environment.NewLine, loaded));
    }

    private static async Task<string> TaskAssemblyAsync(string project)
    {
        var outcome = await Commands.RunAsync("dotnet", ["msbuild", project, "-getProperty:BuildSecretsTaskAssembly", "-nologo"], Path.GetDirectoryName(project));
        Assert.AreEqual(0, outcome.ExitCode, outcome.ToString());
        return outcome.Output.Trim();
    }

    private static PEReader Read(ZipArchive package, string path)
    {
        var entry = package.GetEntry(path);
        Assert.IsNotNull(entry, $"{path} is not in the package");
        var bytes = new MemoryStream();
        using (var stream = entry.Open())
        {
            stream.CopyTo(bytes);
        }

        bytes.Position = 0;
        return new PEReader(bytes);
    }

    private static Version AssemblyVersion(PEReader pe)
    {
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return metadata.GetAssemblyDefinition().Version;
    }

    /// <summary>How many methods the JIT compiles on this thread for the first parse of a Dockerfile by one build of the task assembly.</summary>
    private static long JittedMethodsOnFirstParse(string assemblyPath)
    {
        // Not collectible: as MSBuild loads tasks (the runtime uses no precompiled code in a collectible context).
        var context = new AssemblyLoadContext(assemblyPath);
        var assembly = context.LoadFromAssemblyPath(assemblyPath);
        var parse = assembly.GetType("BuildSecrets.MSBuild.Dockerfiles.DockerfileReader", throwOnError: true)!
            .GetMethod("Parse", BindingFlags.Public | BindingFlags.Static, [typeof(string)])!
            .CreateDelegate<Func<string, object?>>();
        const string Document = """
            ARG BASE=runtime:1
            FROM $BASE AS build
            WORKDIR /src
            COPY --chown=app app/ ./
            RUN --mount=type=secret,id=netrc,target=/root/.netrc \
                curl -n https://example.test/file -o /src/file
            FROM build
            ENV A=1 B="two words"
            COPY --from=build /src /app
            ENTRYPOINT ["dotnet", "app.dll"]
            """;
        var before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        Assert.IsNotNull(parse(Document));
        return System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;
    }
}
