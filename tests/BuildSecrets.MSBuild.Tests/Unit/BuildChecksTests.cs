using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class BuildChecksTests : TaskWithFakeDockerTests
{
    // As 'docker buildx build --check' (buildx 0.15+) prints its findings.
    private const string CheckOutput = """
        Check complete, 2 warnings have been found!

        WARNING: SecretsUsedInArgOrEnv - https://docs.Docker.com/go/dockerfile/rule/secrets-used-in-arg-or-env/
        Do not use ARG or ENV instructions for sensitive data (ARG "NPM_TOKEN")
        Dockerfile:3
        --------------------
           1 |     FROM base
           3 | >>> ARG NPM_TOKEN
        --------------------

        WARNING: JSONArgsRecommended - https://docs.Docker.com/go/dockerfile/rule/json-args-recommended/
        JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals
        Dockerfile:6
        """;

    [TestMethod]
    public void Findings_are_read_with_rule_description_and_line()
    {
        var findings = BuildChecks.Parse(CheckOutput.Split('\n'));

        CollectionAssert.AreEqual(
            new[]
            {
                new BuildCheckFinding("SecretsUsedInArgOrEnv", "Do not use ARG or ENV instructions for sensitive data (ARG \"NPM_TOKEN\")", 3),
                new BuildCheckFinding("JSONArgsRecommended", "JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals", 6),
            },
            findings.ToArray());
    }

    [TestMethod]
    [DataRow("github.com/docker/buildx v0.17.1 257815a", true)]
    [DataRow("github.com/docker/buildx v0.15.0 abc", true)]
    [DataRow("github.com/docker/buildx v0.14.1 abc", false)]
    [DataRow("github.com/docker/buildx v1.0.0 abc", true)]
    [DataRow(null, false)]
    public void Checks_run_from_buildx_0_15(string? version, bool supported)
    {
        Assert.AreEqual(supported, BuildChecks.Supported(version));
    }

    [TestMethod]
    public void The_check_run_has_no_secrets_and_checks_instead_of_loading()
    {
        CollectionAssert.AreEqual(
            new[] { "buildx", "build", "--check", "--progress=plain", "--tag", "a:b", "/ctx" },
            BuildChecks.Arguments(["buildx", "build", "--load", "--progress=plain", "--tag", "a:b", "--secret", "id=x,src=/s", "--ssh", "default", "--iidfile", "/i", "/ctx"]).ToArray());
    }

    [TestMethod]
    public void With_buildx_the_findings_become_warnings_BSEC4010_naming_the_rule()
    {
        UseDocker(FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true, check: string.Join("\n", CheckOutput.Split('\n').Select(l => $"echo '{l.Replace("'", "'\\''", StringComparison.Ordinal)}'"))));

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        var warnings = Harness.Engine.Warnings.Where(w => w.Code == "BSEC4010").Select(w => w.Message).ToArray();
        Assert.AreEqual(2, warnings.Length, Harness.Engine.Log);
        StringAssert.StartsWith(warnings[0], "Build check SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data");
        StringAssert.Contains(warnings[0], "line 3");
        Assert.IsTrue(Docker.Invocations.Any(i => i.StartsWith("buildx build --check", StringComparison.Ordinal)));
        Assert.IsTrue(Docker.Invocations.Any(i => i.StartsWith("buildx build --load", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void DockerBuildChecks_false_skips_them()
    {
        UseDocker(FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true, check: "echo 'WARNING: X - y'"));
        Harness.Task.RunBuildChecks = false;

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.IsFalse(Docker.Invocations.Any(i => i.Contains("--check", StringComparison.Ordinal)));
    }
}
