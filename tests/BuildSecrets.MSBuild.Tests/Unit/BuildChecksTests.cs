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
        UseCheckingDocker();

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        var warnings = Harness.Engine.Warnings.Where(w => w.Code == "BSEC4010").Select(w => w.Message).ToArray();
        Assert.AreEqual(2, warnings.Length, Harness.Engine.Log);
        StringAssert.StartsWith(warnings[0], "Build check SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data");
        StringAssert.Contains(warnings[0], "line 3");
        Assert.IsTrue(Docker.Invocations.Any(i => i.StartsWith("buildx build --check", StringComparison.Ordinal)));
        Assert.IsTrue(Docker.Invocations.Any(i => i.StartsWith("buildx build --load", StringComparison.Ordinal)));
    }

    private static string Echo(string output) => string.Join("\n", output.Split('\n').Select(l => $"echo '{l.Replace("'", "'\\''", StringComparison.Ordinal)}'"));

    private FakeDocker UseCheckingDocker(string check = "") =>
        UseDocker(FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true, check: check.Length == 0 ? Echo(CheckOutput) : check));

    private int CheckRuns => Docker.Invocations.Count(i => i.StartsWith("buildx build --check", StringComparison.Ordinal));

    private string[] CheckWarnings => Harness.Engine.Warnings.Where(w => w.Code == "BSEC4010").Select(w => $"{w.Message} @{w.LineNumber}").ToArray();

    [TestMethod]
    public void A_second_build_with_nothing_the_checks_judge_changed_reports_the_recorded_findings_without_running_them()
    {
        UseCheckingDocker();
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        var first = CheckWarnings;

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(1, CheckRuns, string.Join("\n", Docker.Invocations));
        Assert.AreEqual(2, Docker.Invocations.Count(i => i.StartsWith("buildx build --load", StringComparison.Ordinal)));
        Assert.AreEqual(2, first.Length, Harness.Engine.Log);
        CollectionAssert.AreEqual(first.Concat(first).ToArray(), CheckWarnings);
        StringAssert.Contains(Harness.Engine.Log, "build checks not run again");
    }

    [TestMethod]
    public void A_changed_Dockerfile_runs_the_checks_again()
    {
        UseCheckingDocker();
        Harness.WriteFile("Dockerfile", "FROM scratch\n");
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Harness.WriteFile("Dockerfile", "FROM scratch\nENTRYPOINT dotnet app.dll\n");
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(2, CheckRuns);
    }

    [TestMethod]
    [DataRow("publish/.dockerignore")]
    [DataRow("Dockerfile.dockerignore")]
    public void A_changed_dockerignore_runs_the_checks_again(string ignoreFile)
    {
        UseCheckingDocker();
        Harness.WriteFile(ignoreFile, "*.pdb\n");
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Harness.WriteFile(ignoreFile, "*.pdb\n*.xml\n");
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(2, CheckRuns);
    }

    [TestMethod]
    public void Changed_build_arguments_run_the_checks_again()
    {
        UseCheckingDocker();
        Harness.Task.BuildArgs = [TaskHarness.BuildArg("VERSION", "1.0")];
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Harness.Task.BuildArgs = [TaskHarness.BuildArg("VERSION", "1.1")];
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(2, CheckRuns);
    }

    [TestMethod]
    public void A_check_run_that_failed_on_the_way_is_not_recorded()
    {
        UseCheckingDocker(check: "echo 'ERROR: failed to solve: failed to resolve source metadata' >&2; exit 1");
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(2, CheckRuns);
    }

    [TestMethod]
    public void A_run_that_exits_with_1_after_Check_complete_is_recorded()
    {
        UseCheckingDocker(check: Echo(CheckOutput) + "\nexit 1");
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(1, CheckRuns);
        Assert.AreEqual(4, CheckWarnings.Length);
    }

    [TestMethod]
    public void A_secret_a_description_quoted_is_masked_in_the_warning_and_never_recorded()
    {
        const string Canary = "Canary-check-7b3e91d2";
        Harness.Environment["TOKEN"] = Canary;
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
        UseCheckingDocker(check: Echo(CheckOutput.Replace("(ARG \"NPM_TOKEN\")", $"(ARG \"{Canary}\")", StringComparison.Ordinal)));
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(1, CheckRuns);
        Assert.AreEqual(4, CheckWarnings.Length);
        Assert.IsFalse(Harness.Engine.Log.Contains(Canary, StringComparison.Ordinal), Harness.Engine.Log);
        var record = File.ReadAllText(Path.Combine(Harness.ProjectDirectory, "obj", "build-checks"));
        Assert.IsFalse(record.Contains(Canary, StringComparison.Ordinal), record);
        StringAssert.Contains(record, "finding=SecretsUsedInArgOrEnv|3|");
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
