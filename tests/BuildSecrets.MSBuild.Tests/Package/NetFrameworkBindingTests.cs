using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using BuildSecrets.MSBuild.Tasks;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Package;

/// <summary>
/// Binds every assembly reference of the packed tasks/net472 closure as .NET Framework would inside
/// Visual Studio's MSBuild, for each MSBuild release of TestData/msbuild-binding-redirects.tsv.
/// Mono ignores assembly versions, so the real net472 run cannot catch a version mismatch; this can.
/// </summary>
[TestClass]
public sealed class NetFrameworkBindingTests
{
    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> MSBuildReleases => RedirectTable.Load().Select(row => new object[] { row.MSBuild });

    [TestMethod]
    [DynamicData(nameof(MSBuildReleases))]
    public async Task Every_reference_of_the_net472_closure_binds_in_Visual_Studio_MSBuild(string msbuild)
    {
        var row = RedirectTable.Load().Single(r => r.MSBuild == msbuild);

        var bindings = await BindClosureAsync(row, useResolver: true);

        File.WriteAllLines(Path.Combine(Repository.LogFolder(TestContext.TestName!), $"msbuild-{msbuild}.txt"), bindings.Select(b => b.ToString()));
        var failed = bindings.Where(b => b.Outcome == BindOutcome.Fails).ToArray();
        Assert.AreEqual(0, failed.Length, string.Join(Environment.NewLine, bindings));
        Assert.IsTrue(bindings.Any(b => b.Reference.Name == "CliWrap" && b.Outcome == BindOutcome.Package), string.Join(Environment.NewLine, bindings));
        Assert.IsTrue(bindings.Any(b => b.Outcome == BindOutcome.MSBuild), "nothing bound to MSBuild's own copies");
    }

    [TestMethod]
    public async Task Without_the_resolver_the_closure_fails_in_the_MSBuild_releases_the_issue_found()
    {
        var failing = new List<string>();
        foreach (var row in RedirectTable.Load())
        {
            if ((await BindClosureAsync(row, useResolver: false)).Any(b => b.Outcome == BindOutcome.Fails))
            {
                failing.Add(row.MSBuild);
            }
        }

        // Issue 7: by the table, CliWrap's dependencies fail to bind in 5 of the 7 releases.
        CollectionAssert.AreEqual(new[] { "17.8.49", "17.11.31", "17.14.43", "18.0.2", "18.8.2" }, failing.ToArray(), string.Join(", ", failing));
    }

    [TestMethod]
    public async Task The_resolver_reads_the_identity_of_every_assembly_shipped_in_tasks_net472()
    {
        var folder = Path.Combine(await PackageFeed.ExtractedFolderAsync(), "tasks", "net472");

        var shipped = TaskAssemblyResolver.ReadFolder(folder);

        CollectionAssert.AreEquivalent(
            Directory.GetFiles(folder, "*.dll").Select(Path.GetFileNameWithoutExtension).ToArray(),
            shipped.Select(s => s.Name.Name).ToArray());
        Assert.IsTrue(shipped.All(s => s.Name.Version is not null && s.Name.Name == Path.GetFileNameWithoutExtension(s.Path)));
    }

    private enum BindOutcome
    {
        /// <summary>.NET Framework 4.7.2's own assembly (the GAC), at the requested version or later.</summary>
        Framework,

        /// <summary>MSBuild's copy in its Bin folder, through MSBuild.exe.config's redirect.</summary>
        MSBuild,

        /// <summary>The exact version, beside the task (the load-from context probes the task's folder).</summary>
        Package,

        /// <summary>Normal binding fails; the package's AssemblyResolve handler answers with its own copy.</summary>
        Resolver,

        Fails,
    }

    private sealed record Binding(string Referrer, AssemblyName Reference, BindOutcome Outcome, string? File)
    {
        public override string ToString() => $"{Referrer} -> {Reference.FullName}: {Outcome}{(File is null ? string.Empty : " (" + Path.GetFileName(File) + ")")}";
    }

    /// <summary>
    /// Walks the references from BuildSecrets.MSBuild.dll in the order .NET Framework binds them:
    /// MSBuild.exe.config's redirects and MSBuild's Bin folder (the application base) first, the
    /// framework (GAC), then the task's folder (exact version only); then, when binding failed, the
    /// package's resolver. Every package file reached is walked in turn.
    /// </summary>
    private static async Task<IReadOnlyList<Binding>> BindClosureAsync(RedirectRow row, bool useResolver)
    {
        var folder = Path.Combine(await PackageFeed.ExtractedFolderAsync(), "tasks", "net472");
        var shipped = TaskAssemblyResolver.ReadFolder(folder);
        var framework = FrameworkAssemblies.Value;
        var bindings = new List<Binding>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>([Path.Combine(folder, "BuildSecrets.MSBuild.dll")]);
        while (pending.TryDequeue(out var file))
        {
            if (!visited.Add(file))
            {
                continue;
            }

            foreach (var reference in References(file))
            {
                var binding = Bind(Path.GetFileName(file), reference, row, framework, shipped, useResolver);
                bindings.Add(binding);
                if (binding.File is not null)
                {
                    pending.Enqueue(binding.File);
                }
            }
        }

        return bindings;
    }

    private static Binding Bind(string referrer, AssemblyName reference, RedirectRow row, IReadOnlyDictionary<string, Version> framework, IReadOnlyList<ShippedAssembly> shipped, bool useResolver)
    {
        var name = reference.Name!;
        var version = reference.Version ?? new Version(0, 0, 0, 0);
        BindOutcome? outcome = null;
        string? file = null;
        if (name.StartsWith("Microsoft.Build", StringComparison.Ordinal))
        {
            // MSBuild.exe.config redirects 0.0.0.0-99.9.9.9 of its own assemblies to 15.1.0.0.
            outcome = BindOutcome.MSBuild;
        }
        else if (row.Targets.TryGetValue(name, out var target))
        {
            // Redirected up to the target, or found in MSBuild's Bin folder at the wrong version.
            outcome = version <= target ? BindOutcome.MSBuild : null;
        }
        else if (framework.TryGetValue(name, out var available))
        {
            outcome = version <= available ? BindOutcome.Framework : null;
        }
        else if (shipped.FirstOrDefault(s => s.Name.FullName == reference.FullName) is { } exact)
        {
            (outcome, file) = (BindOutcome.Package, exact.Path);
        }

        if (outcome is null && useResolver && TaskAssemblyResolver.Choose(reference, shipped) is { } resolved)
        {
            (outcome, file) = (BindOutcome.Resolver, resolved);
        }

        return new Binding(referrer, reference, outcome ?? BindOutcome.Fails, file);
    }

    private static AssemblyName[] References(string file)
    {
        using var pe = new PEReader(File.OpenRead(file));
        var metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences.Select(h => metadata.GetAssemblyReference(h).GetAssemblyName()).ToArray();
    }

    /// <summary>The assemblies of .NET Framework 4.7.2 (its reference assemblies and facades), by name, with their versions.</summary>
    private static readonly Lazy<IReadOnlyDictionary<string, Version>> FrameworkAssemblies = new(() =>
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var root = Directory.GetDirectories(Path.Combine(packages, "microsoft.netframework.referenceassemblies.net472")).Single();
        var reference = Path.Combine(root, "build", ".NETFramework", "v4.7.2");
        var assemblies = new Dictionary<string, Version>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in Directory.GetFiles(reference, "*.dll").Concat(Directory.GetFiles(Path.Combine(reference, "Facades"), "*.dll")))
        {
            try
            {
                var name = AssemblyName.GetAssemblyName(path);
                assemblies[name.Name!] = name.Version!;
            }
            catch (BadImageFormatException)
            {
                // A native or module-only file of the reference pack.
            }
        }

        Assert.IsTrue(assemblies.ContainsKey("mscorlib") && assemblies.ContainsKey("netstandard"), reference);
        return assemblies;
    });
}

/// <summary>One MSBuild release: the version each redirected assembly is redirected to (and shipped at).</summary>
internal sealed record RedirectRow(string MSBuild, IReadOnlyDictionary<string, Version> Targets);

/// <summary>TestData/msbuild-binding-redirects.tsv: MSBuild.exe.config's redirect targets per MSBuild release.</summary>
internal static class RedirectTable
{
    public static IReadOnlyList<RedirectRow> Load()
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, "tests", "BuildSecrets.MSBuild.Tests", "TestData", "msbuild-binding-redirects.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .ToArray();
        var header = lines[0];
        return lines.Skip(1)
            .Select(cells => new RedirectRow(
                cells[0],
                header.Skip(1).Zip(cells.Skip(1), (name, version) => (name, version: Version.Parse(version)))
                    .ToDictionary(p => p.name, p => p.version, StringComparer.OrdinalIgnoreCase)))
            .ToArray();
    }
}
