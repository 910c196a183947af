using System.IO.Compression;
using System.Xml.Linq;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Package;

/// <summary>The packed package, used by throw-away consumer projects through the real 'dotnet publish'.</summary>
[TestClass]
public sealed class PackageTests
{
    public TestContext TestContext { get; set; } = null!;

    private const string FakeDockerfile = "FROM scratch\nCOPY . /app\n";

    [TestMethod]
    public async Task The_package_holds_exactly_the_task_assemblies_CliWrap_the_build_files_license_icon_and_readme()
    {
        using var package = ZipFile.OpenRead(await PackageFeed.PackageFileAsync());
        var files = package.Entries
            .Select(e => e.FullName)
            .Where(n => !n.StartsWith("_rels/", StringComparison.Ordinal) && !n.StartsWith("package/", StringComparison.Ordinal) && n != "[Content_Types].xml")
            .Order(StringComparer.Ordinal)
            .ToArray();

        CollectionAssert.AreEqual(
            new[]
            {
                "BuildSecrets.MSBuild.nuspec",
                "LICENSE",
                "PACKAGE.md",
                "build/BuildSecrets.MSBuild.props",
                "build/BuildSecrets.MSBuild.targets",
                "buildTransitive/BuildSecrets.MSBuild.props",
                "buildTransitive/BuildSecrets.MSBuild.targets",
                "icon.png",
                "tasks/net10.0/linux-arm64/BuildSecrets.MSBuild.dll",
                "tasks/net10.0/linux-arm64/CliWrap.dll",
                "tasks/net10.0/linux-x64/BuildSecrets.MSBuild.dll",
                "tasks/net10.0/linux-x64/CliWrap.dll",
                "tasks/net10.0/osx-arm64/BuildSecrets.MSBuild.dll",
                "tasks/net10.0/osx-arm64/CliWrap.dll",
                "tasks/net10.0/osx-x64/BuildSecrets.MSBuild.dll",
                "tasks/net10.0/osx-x64/CliWrap.dll",
                "tasks/net10.0/win-x64/BuildSecrets.MSBuild.dll",
                "tasks/net10.0/win-x64/CliWrap.dll",
                "tasks/net472/BuildSecrets.MSBuild.dll",
                "tasks/net472/CliWrap.dll",
                "tasks/net472/Microsoft.Bcl.AsyncInterfaces.dll",
                "tasks/net472/System.Buffers.dll",
                "tasks/net472/System.CodeDom.dll",
                "tasks/net472/System.Memory.dll",
                "tasks/net472/System.Numerics.Vectors.dll",
                "tasks/net472/System.Runtime.CompilerServices.Unsafe.dll",
                "tasks/net472/System.Threading.Tasks.Extensions.dll",
                "tasks/net8.0/BuildSecrets.MSBuild.dll",
                "tasks/net8.0/CliWrap.dll",
            },
            files,
            string.Join(Environment.NewLine, files));

        using var nuspecStream = package.GetEntry("BuildSecrets.MSBuild.nuspec")!.Open();
        var nuspec = XDocument.Load(nuspecStream);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.AreEqual("true", metadata.Element(ns + "developmentDependency")?.Value);
        Assert.IsNull(metadata.Element(ns + "dependencies"), "the package declares dependencies");
    }

    [TestMethod]
    [DataRow("net472")]
    [DataRow("net8.0")]
    [DataRow("net10.0/linux-x64")]
    [DataRow("net10.0/linux-arm64")]
    [DataRow("net10.0/osx-x64")]
    [DataRow("net10.0/osx-arm64")]
    [DataRow("net10.0/win-x64")]
    public async Task Every_assembly_the_task_needs_is_shipped_beside_it_or_provided_by_the_runtime_or_MSBuild(string framework)
    {
        using var package = ZipFile.OpenRead(await PackageFeed.PackageFileAsync());
        var folder = $"tasks/{framework}/";
        var shipped = package.Entries.Where(e => e.FullName.StartsWith(folder, StringComparison.Ordinal)).ToArray();
        var names = shipped.Select(e => Path.GetFileNameWithoutExtension(e.Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.IsTrue(names.Contains("BuildSecrets.MSBuild") && names.Contains("CliWrap"), string.Join(", ", names));
        var missing = new List<string>();
        var references = 0;
        foreach (var entry in shipped)
        {
            using var stream = new MemoryStream();
            using (var data = entry.Open())
            {
                data.CopyTo(stream);
            }

            stream.Position = 0;
            using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            foreach (var handle in metadata.AssemblyReferences)
            {
                var name = metadata.GetString(metadata.GetAssemblyReference(handle).Name);
                references++;
                var provided = names.Contains(name)
                    || name.StartsWith("Microsoft.Build", StringComparison.Ordinal)
                    || name is "mscorlib" or "netstandard" or "System" or "System.Core" or "System.Runtime" or "System.Management" or "Microsoft.Win32.Primitives"
                    || (framework != "net472" && (name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.Win32.", StringComparison.Ordinal)))
                    || (framework == "net472" && name is "System.Xml" or "System.Xml.Linq" or "System.Numerics" or "System.Runtime.InteropServices.RuntimeInformation" or "System.ComponentModel.Composition");
                if (!provided)
                {
                    missing.Add($"{entry.Name} -> {name}");
                }
            }
        }

        Assert.IsTrue(references > 10, $"only {references} references read");
        CollectionAssert.AreEqual(Array.Empty<string>(), missing.ToArray(), string.Join(Environment.NewLine, missing));
    }

    [TestMethod]
    public async Task A_project_without_a_Dockerfile_or_secrets_publishes_without_starting_docker()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, string.Empty);

        var publish = await consumer.PublishAsync(null, $"DockerCli={docker.Path}");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        Assert.AreEqual(0, docker.Invocations.Count);
    }

    [TestMethod]
    public async Task Publish_builds_with_the_defaults_and_later_targets_see_the_image_items()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, """
              <Target Name="ShowImages" AfterTargets="DockerBuild">
                <Message Importance="high" Text="IMAGE: %(DockerImage.Identity) tag=%(DockerImage.Tag) id=%(DockerImage.ImageId)" />
                <Message Importance="high" Text="IMAGE ID: $(DockerImageId)" />
              </Target>
            """, FakeDockerfile);

        var publish = await consumer.PublishAsync(null, $"DockerCli={docker.Path}");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        var build = docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        StringAssert.Contains(build, $"--file {Path.Combine(consumer.ProjectFolder, "Dockerfile")}");
        docker.AssertTaggedAfterProof("consumer:latest");
        Assert.IsTrue(build.EndsWith(" " + consumer.PublishFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal), build);
        StringAssert.Contains(publish.Output, $"IMAGE: consumer:latest tag=latest id={FakeDocker.ImageId}");
        StringAssert.Contains(publish.Output, $"IMAGE ID: {FakeDocker.ImageId}");
    }

    [TestMethod]
    public async Task Repository_tags_context_network_and_build_args_come_from_the_project()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, """
              <PropertyGroup>
                <ContainerRepository>team/my-app</ContainerRepository>
                <ContainerImageTags>1.2.3;stable</ContainerImageTags>
                <DockerfileFile>docker/App.Dockerfile</DockerfileFile>
                <DockerfileContext>.</DockerfileContext>
                <DockerBuildNetwork>none</DockerBuildNetwork>
              </PropertyGroup>
              <ItemGroup>
                <DockerBuildArg Include="CONFIGURATION" Value="$(Configuration)" />
              </ItemGroup>
            """);
        consumer.WriteProjectFile("docker/App.Dockerfile", FakeDockerfile);

        var publish = await consumer.PublishAsync(null, $"DockerCli={docker.Path}");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        var build = docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        StringAssert.Contains(build, $"--file {Path.Combine(consumer.ProjectFolder, "docker", "App.Dockerfile")}");
        docker.AssertTaggedAfterProof("team/my-app:1.2.3", "team/my-app:stable");
        StringAssert.Contains(build, "--build-arg CONFIGURATION=Release");
        StringAssert.Contains(build, "--network none");
        Assert.IsTrue(build.EndsWith(" " + consumer.ProjectFolder, StringComparison.Ordinal), build);
    }

    [TestMethod]
    public async Task ContainerImageTag_sets_a_single_tag()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, string.Empty, FakeDockerfile);

        var publish = await consumer.PublishAsync(null, $"DockerCli={docker.Path}", "ContainerImageTag=v7");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        docker.AssertTaggedAfterProof("consumer:v7");
        var tags = docker.Invocations.Where(i => i.StartsWith("tag ", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(1, tags.Length, string.Join("\n", docker.Invocations));
        Assert.IsFalse(tags[0].Contains(":latest", StringComparison.Ordinal), tags[0]);
    }

    [TestMethod]
    public async Task DockerBuildEnabled_false_publishes_without_building()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, string.Empty, FakeDockerfile);

        var publish = await consumer.PublishAsync(null, $"DockerCli={docker.Path}", "DockerBuildEnabled=false");

        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        Assert.AreEqual(0, docker.Invocations.Count);
    }

    [TestMethod]
    public async Task Design_time_builds_never_build_an_image()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, string.Empty, FakeDockerfile);

        var designTime = await consumer.RunDotnetAsync("msbuild", null, ["-restore", "-t:Build;DockerBuild", "-p:DesignTimeBuild=true", $"-p:DockerCli={docker.Path}"]);

        Assert.AreEqual(0, designTime.ExitCode, designTime.ToString());
        Assert.AreEqual(0, docker.Invocations.Count);

        // The same command outside a design-time build does start docker: the guard is what stopped it.
        var regular = await consumer.RunDotnetAsync("msbuild", null, ["-restore", "-t:Build;DockerBuild", $"-p:DockerCli={docker.Path}", "-p:DockerfileContext=."]);
        Assert.AreEqual(0, regular.ExitCode, regular.ToString());
        Assert.AreNotEqual(0, docker.Invocations.Count);
    }

    [TestMethod]
    public async Task A_secret_with_a_missing_source_fails_the_publish_before_docker_starts()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, """
              <ItemGroup>
                <DockerSecret Include="netrc" Source="../no-such-netrc" />
              </ItemGroup>
            """, FakeDockerfile);

        var publish = await consumer.PublishAsync(null, $"DockerCli={docker.Path}");

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "Consumer.csproj : error BSEC1003: DockerSecret 'netrc': the source file '" + Path.Combine(consumer.Folder, "no-such-netrc") + "'");
        Assert.AreEqual(0, docker.Invocations.Count);
    }

    [TestMethod]
    public async Task A_secret_without_a_Dockerfile_is_BSEC1009()
    {
        using var docker = FakeDocker.Create();
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, """
              <ItemGroup>
                <DockerSecret Include="token" EnvironmentVariable="PATH" />
              </ItemGroup>
            """);

        var publish = await consumer.PublishAsync(null, $"DockerCli={docker.Path}");

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, "error BSEC1009: The Dockerfile '" + Path.Combine(consumer.ProjectFolder, "Dockerfile") + "' does not exist.");
        Assert.AreEqual(0, docker.Invocations.Count);
    }

    [TestMethod]
    public async Task An_engine_that_does_not_answer_is_BSEC2002_from_the_real_client()
    {
        using var consumer = await ConsumerProject.CreateAsync(TestContext.TestName!, string.Empty, FakeDockerfile);
        var socket = Path.Combine(consumer.Folder, "no-engine.sock");

        var publish = await consumer.PublishAsync(
            new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix://" + socket },
            $"DockerCli={DockerEngine.Cli}");

        Assert.AreNotEqual(0, publish.ExitCode, publish.ToString());
        StringAssert.Contains(publish.Output, $"error BSEC2002: No container engine answered the docker client '{DockerEngine.Cli}'");
        StringAssert.Contains(publish.Output, socket);
    }
}
