using BuildSecrets.MSBuild.Tests.Infrastructure;
using BuildSecrets.MSBuild.Docker;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class SecretRotationTests : TaskWithFakeDockerTests
{
    private const string Canary = "Canary-rotate-6a1e0f9b3d";

    [TestInitialize]
    public void UseAHomeForTheRotationKey()
    {
        Harness.Environment["HOME"] = Path.Combine(Harness.ProjectDirectory, "home");
    }

    /// <summary>One build with a fresh fake client, so that its only build invocation is this build's.</summary>
    private string BuildWith(string value)
    {
        UseDocker(FakeDocker.Create());
        Harness.Environment["TOKEN"] = value;
        var item = new TaskItem("my.token");
        item.SetMetadata("EnvironmentVariable", "TOKEN");
        item.SetMetadata("Rotate", "true");
        Harness.Task.Secrets = [item];
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        return Docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
    }

    private static string Version(string build)
    {
        var at = build.IndexOf("--build-arg BUILDSECRETS_MY_TOKEN_VERSION=", StringComparison.Ordinal);
        Assert.IsTrue(at >= 0, build);
        return build.Substring(at + "--build-arg BUILDSECRETS_MY_TOKEN_VERSION=".Length, 32);
    }

    [TestMethod]
    public void A_rotated_secret_gets_a_version_argument_that_changes_with_its_value_only()
    {
        var first = Version(BuildWith(Canary));
        var again = Version(BuildWith(Canary));
        var rotated = Version(BuildWith(Canary + "-rotated"));

        StringAssert.Matches(first, new System.Text.RegularExpressions.Regex("^[0-9a-f]{32}$"));
        Assert.AreEqual(first, again);
        Assert.AreNotEqual(first, rotated);
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal));
    }

    [TestMethod]
    public void The_version_is_keyed_per_user_so_it_is_not_a_plain_hash_of_the_secret()
    {
        var version = Version(BuildWith(Canary));
        var plain = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Canary)))[..32];
        Assert.AreNotEqual(plain, version);

        var keyFile = Path.Combine(Harness.Environment["HOME"], ".buildsecrets", "rotation.key");
        Assert.AreEqual(32, new FileInfo(keyFile).Length);
        Assert.IsFalse(OperatingSystem.IsWindows(), "these tests run on Linux (the fake docker is a shell script)");
        if (!OperatingSystem.IsWindows())
        {
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(keyFile)!));
        }

        // Another user (another key) gets another version for the same secret.
        Harness.Environment["HOME"] = Path.Combine(Harness.ProjectDirectory, "other-home");
        Assert.AreNotEqual(version, Version(BuildWith(Canary)));
    }

    [TestMethod]
    [DataRow("netrc", "BUILDSECRETS_NETRC_VERSION")]
    [DataRow("my.token-x", "BUILDSECRETS_MY_TOKEN_X_VERSION")]
    public void The_argument_name_is_derived_from_the_id(string id, string name)
    {
        Assert.AreEqual(name, SecretRotation.ArgumentName(id));
    }
}
