using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>The build cache: exported only for a proven image, pruned after a leak on request, and cached steps that ran with an earlier secret named.</summary>
[TestClass]
public sealed class BuildCacheTests : TaskWithFakeDockerTests
{
    private const string Canary = "Canary-cache-3e8b1d7f5a";

    private const string CachedSecretStep = """
        echo '#8 [2/2] RUN --mount=type=secret,id=token cp /run/secrets/token /app/token' >&2
        echo '#8 CACHED' >&2
        printf '%s' "$FAKE_IMAGE_ID" > "$iidfile"
        """;

    [TestInitialize]
    public void DeclareTheToken()
    {
        Harness.Environment["HOME"] = Path.Combine(Harness.ProjectDirectory, "home");
        Harness.Environment["TOKEN"] = Canary;
        Harness.Task.Secrets = [TaskHarness.EnvironmentSecret("token", "TOKEN")];
    }

    private string[] Builds => Docker.Invocations.Where(i => i.StartsWith("buildx build --load", StringComparison.Ordinal)).ToArray();

    [TestMethod]
    public void The_cache_is_exported_only_after_the_image_is_proven_and_tagged()
    {
        UseDocker(FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true));
        Harness.Task.CacheTo = ["type=local,dest=/tmp/cache"];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual(2, Builds.Length, string.Join("\n", Docker.Invocations));
        Assert.IsFalse(Builds[0].Contains("--cache-to", StringComparison.Ordinal), "the first build exports nothing");
        StringAssert.Contains(Builds[1], "--cache-to type=local,dest=/tmp/cache");
        var invocations = Docker.Invocations.ToList();
        Assert.IsTrue(invocations.IndexOf(Builds[1]) > invocations.FindIndex(i => i.StartsWith("tag ", StringComparison.Ordinal)), "exported after the image was proven and tagged");
    }

    [TestMethod]
    public void A_leaking_image_exports_no_cache_and_with_DockerBuildPruneOnLeak_the_cache_is_removed()
    {
        UseDocker(FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true, savedImage: new ImageArchiveBuilder().Layer("RUN cp", "app/token", Canary).Build()));
        Harness.Task.CacheTo = ["type=local,dest=/tmp/cache"];
        Harness.Task.PruneCacheOnLeak = true;

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC5001" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "docker builder prune");
        Assert.AreEqual(1, Builds.Length, string.Join("\n", Docker.Invocations));
        CollectionAssert.Contains(Docker.Invocations.ToArray(), "buildx prune --force");
    }

    [TestMethod]
    public void A_cache_export_that_builds_another_image_is_BSEC3004()
    {
        UseDocker(FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true, build: """
            case " $* " in *" --cache-to "*) FAKE_IMAGE_ID=sha256:0000000000000000000000000000000000000000000000000000000000000bad ;; esac
            printf '%s' "$FAKE_IMAGE_ID" > "$iidfile"
            """));
        Harness.Task.CacheTo = ["type=local,dest=/tmp/cache"];

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC3004" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "0bad");
    }

    [TestMethod]
    public void A_cache_export_whose_image_differs_only_outside_its_layers_is_accepted_and_the_extra_image_removed()
    {
        UseDocker(FakeDocker.Create(clientVersion: "28.2.2", serverVersion: "28.2.2", buildx: true, inspect: "echo sha256:1111; echo sha256:2222", build: """
            case " $* " in *" --cache-to "*) FAKE_IMAGE_ID=sha256:0000000000000000000000000000000000000000000000000000000000000bad ;; esac
            printf '%s' "$FAKE_IMAGE_ID" > "$iidfile"
            """));
        Harness.Task.CacheTo = ["type=local,dest=/tmp/cache"];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        CollectionAssert.Contains(Docker.Invocations.ToArray(), "image rm sha256:0000000000000000000000000000000000000000000000000000000000000bad");
    }

    [TestMethod]
    public void A_cached_step_that_mounts_a_changed_secret_is_warning_BSEC5008()
    {
        UseDocker(FakeDocker.Create(build: CachedSecretStep));

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        Assert.AreEqual("BSEC5008", Harness.Engine.Warnings.Single(w => w.Code == "BSEC5008").Code, "no record yet: the earlier value is not known");
        StringAssert.Contains(Harness.Engine.Warnings.Single(w => w.Code == "BSEC5008").Message, "is not known");

        Harness.Engine.Warnings.Clear();
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        Assert.IsFalse(Harness.Engine.Warnings.Any(w => w.Code == "BSEC5008"), "same value as the proven build before: " + Harness.Engine.Log);

        Harness.Environment["TOKEN"] = Canary + "-rotated";
        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);
        var warning = Harness.Engine.Warnings.Single(w => w.Code == "BSEC5008");
        StringAssert.Contains(warning.Message, "DockerSecret 'token'");
        StringAssert.Contains(warning.Message, "changed since");
        StringAssert.Contains(warning.Message, "Rotate=\"true\"");
        var record = File.ReadAllText(Path.Combine(Harness.ProjectDirectory, "obj", "secret-versions"));
        Assert.IsFalse(record.Contains(Canary, StringComparison.Ordinal), "the record holds keyed versions, never values");
    }

    [TestMethod]
    public void A_rotated_secret_gives_no_BSEC5008_since_its_steps_re_run_when_it_changes()
    {
        UseDocker(FakeDocker.Create(build: CachedSecretStep));
        var item = TaskHarness.EnvironmentSecret("token", "TOKEN");
        item.SetMetadata("Rotate", "true");
        Harness.Task.Secrets = [item];

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.IsFalse(Harness.Engine.Warnings.Any(w => w.Code == "BSEC5008"), Harness.Engine.Log);
    }
}
