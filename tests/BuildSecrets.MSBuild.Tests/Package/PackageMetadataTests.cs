using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text.Json;
using System.Xml.Linq;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Package;

/// <summary>What the NuGet ecosystem expects of the packed package: license, repository and commit, icon, tags, version, symbols with Source Link.</summary>
[TestClass]
public sealed class PackageMetadataTests
{
    private const string RepositoryUrl = "https://github.com/buildsecrets/BuildSecrets.MSBuild";

    /// <summary>The Source Link custom debug information of a portable pdb.</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    private static async Task<XElement> NuspecMetadataAsync()
    {
        using var package = ZipFile.OpenRead(await PackageFeed.PackageFileAsync());
        using var stream = package.GetEntry("BuildSecrets.MSBuild.nuspec")!.Open();
        var root = XDocument.Load(stream).Root!;
        return root.Element(root.Name.Namespace + "metadata")!;
    }

    private static string? Element(XElement metadata, string name) => metadata.Element(metadata.Name.Namespace + name)?.Value;

    private static async Task<string> HeadCommitAsync()
    {
        var git = await Commands.RunAsync("git", ["rev-parse", "HEAD"], Repository.Root);
        Assert.AreEqual(0, git.ExitCode, git.ToString());
        return git.Output.Trim();
    }

    [TestMethod]
    public async Task The_declared_MIT_license_is_the_LICENSE_file_shipped_and_kept_in_the_repository()
    {
        var metadata = await NuspecMetadataAsync();
        var license = metadata.Element(metadata.Name.Namespace + "license")!;
        using var package = ZipFile.OpenRead(await PackageFeed.PackageFileAsync());
        using var reader = new StreamReader(package.GetEntry("LICENSE")!.Open());
        var shipped = reader.ReadToEnd();

        Assert.AreEqual("expression", license.Attribute("type")?.Value);
        Assert.AreEqual("MIT", license.Value);
        Assert.IsTrue(shipped.StartsWith("MIT License", StringComparison.Ordinal), shipped);
        StringAssert.Contains(shipped, "Permission is hereby granted, free of charge");
        Assert.AreEqual(File.ReadAllText(Path.Combine(Repository.Root, "LICENSE")), shipped);
    }

    [TestMethod]
    public async Task The_nuspec_names_the_repository_and_the_commit_it_was_packed_from()
    {
        var metadata = await NuspecMetadataAsync();
        var repository = metadata.Element(metadata.Name.Namespace + "repository")!;

        Assert.AreEqual("git", repository.Attribute("type")?.Value);
        Assert.AreEqual(RepositoryUrl, repository.Attribute("url")?.Value);
        Assert.AreEqual(await HeadCommitAsync(), repository.Attribute("commit")?.Value);
        Assert.AreEqual(RepositoryUrl, Element(metadata, "projectUrl"));
    }

    [TestMethod]
    public async Task The_package_has_its_version_from_Directory_Build_props_an_icon_tags_and_a_readme()
    {
        var metadata = await NuspecMetadataAsync();
        using var package = ZipFile.OpenRead(await PackageFeed.PackageFileAsync());
        using var icon = new MemoryStream();
        using (var stream = package.GetEntry(Element(metadata, "icon")!)!.Open())
        {
            stream.CopyTo(icon);
        }

        Assert.AreEqual(PackageFeed.Version, Element(metadata, "version"));
        Assert.IsTrue(File.Exists(await PackageFeed.PackageFileAsync()), "the package file is named after the version");
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, icon.ToArray()[..4], "the icon is not a PNG");
        CollectionAssert.IsSubsetOf(new[] { "msbuild", "docker", "buildkit", "secrets" }, Element(metadata, "tags")!.Split(' '));
        Assert.AreEqual("PACKAGE.md", Element(metadata, "readme"));
    }

    [TestMethod]
    [DataRow("net472")]
    [DataRow("net8.0")]
    [DataRow("net10.0/linux-x64")]
    [DataRow("net10.0/linux-arm64")]
    [DataRow("net10.0/osx-x64")]
    [DataRow("net10.0/osx-arm64")]
    [DataRow("net10.0/win-x64")]
    public async Task The_symbols_package_holds_the_task_pdb_with_Source_Link_to_the_commit(string framework)
    {
        using var symbols = ZipFile.OpenRead(await PackageFeed.SymbolsPackageFileAsync());
        var entry = symbols.GetEntry($"tasks/{framework}/BuildSecrets.MSBuild.pdb");
        Assert.IsNotNull(entry, string.Join(", ", symbols.Entries.Select(e => e.FullName)));
        var pdb = new MemoryStream();
        using (var stream = entry.Open())
        {
            stream.CopyTo(pdb);
        }

        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var sourceLink = reader.CustomDebugInformation
            .Select(reader.GetCustomDebugInformation)
            .Single(info => reader.GetGuid(info.Kind) == SourceLinkKind);
        using var json = JsonDocument.Parse(reader.GetBlobBytes(sourceLink.Value));
        var urls = json.RootElement.GetProperty("documents").EnumerateObject().Select(p => p.Value.GetString()).ToArray();

        CollectionAssert.AreEqual(
            new[] { $"https://raw.githubusercontent.com/buildsecrets/BuildSecrets.MSBuild/{await HeadCommitAsync()}/*" },
            urls,
            string.Join(", ", urls));
        Assert.IsTrue(reader.Documents.Count > 10, $"{reader.Documents.Count} documents");

        // The pdb is the one the assembly names in its debug directory: a debugger finds it by that id.
        using var package = ZipFile.OpenRead(await PackageFeed.PackageFileAsync());
        var assembly = new MemoryStream();
        using (var stream = package.GetEntry($"tasks/{framework}/BuildSecrets.MSBuild.dll")!.Open())
        {
            stream.CopyTo(assembly);
        }

        assembly.Position = 0;
        using var pe = new System.Reflection.PortableExecutable.PEReader(assembly);
        var codeView = pe.ReadCodeViewDebugDirectoryData(pe.ReadDebugDirectory().First(e => e.Type == System.Reflection.PortableExecutable.DebugDirectoryEntryType.CodeView));
        CollectionAssert.AreEqual(codeView.Guid.ToByteArray(), reader.DebugMetadataHeader!.Id.Take(16).ToArray(), "the pdb is not the assembly's");
    }
}
