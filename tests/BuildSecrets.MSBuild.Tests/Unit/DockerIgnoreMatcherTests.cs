using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class DockerIgnoreMatcherTests
{
    [TestMethod]
    [DataRow("netrc", "netrc", true)]
    [DataRow("netrc", "sub/netrc", false)]
    [DataRow("/netrc", "netrc", true)]
    [DataRow("./netrc", "netrc", true)]
    [DataRow("secrets", "secrets/netrc", true)]
    [DataRow("secrets/", "secrets/deep/netrc", true)]
    [DataRow("*.key", "id.key", true)]
    [DataRow("*.key", "keys/id.key", false)]
    [DataRow("**/*.key", "keys/deep/id.key", true)]
    [DataRow("**/*.key", "id.key", true)]
    [DataRow("keys/**", "keys/a/b", true)]
    [DataRow("k?y", "key", true)]
    [DataRow("k?y", "k/y", false)]
    [DataRow("[a-c]at", "bat", true)]
    [DataRow("[!a-c]at", "bat", true)]
    [DataRow("[!a-c]at", "!at", true)]
    [DataRow("[!a-c]at", "rat", false)]
    [DataRow("[^a-c]at", "rat", true)]
    [DataRow("a\\*b", "a*b", true)]
    [DataRow("a\\*b", "axb", false)]
    [DataRow("bin", "binaries/x", false)]
    public void Patterns_match_like_BuildKit(string pattern, string path, bool excluded)
    {
        Assert.AreEqual(excluded, DockerIgnoreMatcher.Parse(pattern).IsExcluded(path));
    }

    [TestMethod]
    public void Comments_and_blank_lines_are_ignored_and_the_last_matching_line_wins()
    {
        var matcher = DockerIgnoreMatcher.Parse("# secrets\n\n*.txt\n!keep.txt\n  secrets/*  \n!secrets/public\n");

        Assert.IsTrue(matcher.IsExcluded("notes.txt"));
        Assert.IsFalse(matcher.IsExcluded("keep.txt"));
        Assert.IsTrue(matcher.IsExcluded("secrets/netrc"));
        Assert.IsFalse(matcher.IsExcluded("secrets/public"));
        Assert.IsFalse(matcher.IsExcluded("# secrets"));
        Assert.IsTrue(matcher.IsExcluded("dir\\notes.txt".Replace("dir\\", string.Empty, StringComparison.Ordinal)));
    }

    [TestMethod]
    public void The_Dockerfile_specific_ignore_file_wins_over_the_context_one()
    {
        var folder = Repository.NewTempFolder("dockerignore");
        try
        {
            var dockerfile = Path.Combine(folder, "App.Dockerfile");
            File.WriteAllText(Path.Combine(folder, ".dockerignore"), "a\n");
            Assert.AreEqual(Path.Combine(folder, ".dockerignore"), DockerIgnoreMatcher.Load(folder, dockerfile).File);
            File.WriteAllText(dockerfile + ".dockerignore", "b\n");

            var matcher = DockerIgnoreMatcher.Load(folder, dockerfile);

            Assert.AreEqual(dockerfile + ".dockerignore", matcher.File);
            Assert.IsTrue(matcher.IsExcluded("b"));
            Assert.IsFalse(matcher.IsExcluded("a"));
            Assert.IsNull(DockerIgnoreMatcher.Load(Path.Combine(folder, "none"), null).File);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
