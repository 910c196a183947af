using System.Text.RegularExpressions;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>Every code the package can report is documented in README.md and asserted by a test.</summary>
[TestClass]
public sealed class DocumentationTests
{
    private static readonly Regex Code = new(@"""(BSEC\d{4})""");

    private static string[] CodesInSource() =>
        Code.Matches(File.ReadAllText(Path.Combine(Repository.Root, "src", "BuildSecrets.MSBuild", "Diagnostics", "Messages.cs")))
            .Select(m => m.Groups[1].Value)
            .ToArray();

    [TestMethod]
    public void Codes_are_unique_and_present()
    {
        var codes = CodesInSource();
        Assert.IsTrue(codes.Length >= 20, $"only {codes.Length} codes found");
        CollectionAssert.AllItemsAreUnique(codes.ToArray());
    }

    [TestMethod]
    public void Every_code_is_documented_in_the_README()
    {
        var readme = File.ReadAllText(Repository.Readme);
        var missing = CodesInSource().Where(c => !readme.Contains($"`{c}`", StringComparison.Ordinal)).ToArray();
        CollectionAssert.AreEqual(Array.Empty<string>(), missing, "codes missing from README.md: " + string.Join(", ", missing));
    }

    [TestMethod]
    public void Every_code_has_the_README_anchor_its_help_link_points_to()
    {
        var readme = File.ReadAllText(Repository.Readme);
        var missing = CodesInSource().Where(c => !readme.Contains($"<a id=\"{c.ToLowerInvariant()}\"></a>`{c}`", StringComparison.Ordinal)).ToArray();
        CollectionAssert.AreEqual(Array.Empty<string>(), missing, "codes without an anchor in README.md: " + string.Join(", ", missing));
        StringAssert.StartsWith(new BuildSecrets.MSBuild.Diagnostics.Diagnostic("BSEC1001", BuildSecrets.MSBuild.Diagnostics.Severity.Error, "m").HelpLink, "https://github.com/buildsecrets/BuildSecrets.MSBuild/blob/main/README.md#bsec1001");
    }

    [TestMethod]
    public void Every_code_is_asserted_by_a_test()
    {
        var tests = string.Concat(Directory.EnumerateFiles(Path.Combine(Repository.Root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("DocumentationTests.cs", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var untested = CodesInSource().Where(c => !tests.Contains(c, StringComparison.Ordinal)).ToArray();
        CollectionAssert.AreEqual(Array.Empty<string>(), untested, "codes no test asserts: " + string.Join(", ", untested));
    }

    [TestMethod]
    public void Every_public_property_and_item_of_the_targets_is_documented_in_the_README()
    {
        var targets = File.ReadAllText(Path.Combine(Repository.Root, "build", "BuildSecrets.MSBuild.targets"));
        var names = Regex.Matches(targets, @"\$\((?<name>(Docker|Container|BuildSecrets)[A-Za-z]*)\)|@\((?<name>Docker[A-Za-z]*)\)|ItemName=""(?<name>[A-Za-z]+)""|PropertyName=""(?<name>[A-Za-z]+)""")
            .Select(m => m.Groups["name"].Value)
            .Where(n => !n.StartsWith("_", StringComparison.Ordinal))
            .Distinct()
            .ToArray();
        var readme = File.ReadAllText(Repository.Readme);
        var missing = names.Where(n => !readme.Contains($"`{n}`", StringComparison.Ordinal)).ToArray();
        Assert.IsTrue(names.Length >= 10, string.Join(", ", names));
        CollectionAssert.AreEqual(Array.Empty<string>(), missing, "names missing from README.md: " + string.Join(", ", missing));
    }
}
