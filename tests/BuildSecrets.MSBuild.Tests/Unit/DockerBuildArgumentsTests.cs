using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class DockerBuildArgumentsTests
{
    private static readonly BuildRequest Request = new()
    {
        Dockerfile = "/src/app/Dockerfile",
        Context = "/src/app/bin/Release/net10.0/publish/",
        Repository = "my-app",
        Tags = ["latest", "1.0.0"],
        BuildArgs = [new("MESSAGE_URL", "http://127.0.0.1:8080/")],
        Network = "host",
        ImageIdFile = "/src/app/obj/iid",
    };

    private static readonly SecretReference[] Secrets =
    [
        new("netrc", SecretReferenceKind.File, "/home/me/.netrc"),
        new("token", SecretReferenceKind.Variable, "FEED_TOKEN"),
    ];

    [TestMethod]
    public void Buildx_mode_loads_the_image_into_the_local_engine_untagged()
    {
        CollectionAssert.AreEqual(
            new[]
            {
                "buildx", "build", "--load", "--progress=plain",
                "--file", "/src/app/Dockerfile",
                "--secret", "id=netrc,src=/home/me/.netrc",
                "--secret", "id=token,env=FEED_TOKEN",
                "--build-arg", "MESSAGE_URL=http://127.0.0.1:8080/",
                "--network", "host",
                "--iidfile", "/src/app/obj/iid",
                "/src/app/bin/Release/net10.0/publish/",
            },
            DockerBuildArguments.Create(Request, Secrets, BuildMode.Buildx).ToArray());
    }

    [TestMethod]
    public void Classic_mode_uses_docker_build()
    {
        var args = DockerBuildArguments.Create(Request with { Network = null }, Secrets, BuildMode.ClassicBuildKit);
        Assert.AreEqual("build", args[0]);
        Assert.AreEqual("--progress=plain", args[1]);
        CollectionAssert.DoesNotContain(args.ToArray(), "--load");
        CollectionAssert.DoesNotContain(args.ToArray(), "--network");
        Assert.AreEqual("/src/app/bin/Release/net10.0/publish/", args[^1]);
    }

    [TestMethod]
    public void Builder_options_map_to_their_flags_before_the_context()
    {
        var request = Request with
        {
            BuildArgs = [],
            Network = null,
            Target = "final",
            Platforms = ["linux/amd64", "linux/arm64"],
            Labels = [new("org.opencontainers.image.vendor", "Contoso")],
            Pull = true,
            NoCache = true,
            CacheFrom = ["type=registry,ref=127.0.0.1:5000/cache"],
            CacheTo = ["type=registry,ref=127.0.0.1:5000/cache,mode=max"],
            Builder = "remote",
            MetadataFile = "/src/app/obj/metadata.json",
            ExtraArguments = ["--provenance=false", "--sbom=false"],
        };

        CollectionAssert.AreEqual(
            new[]
            {
                "buildx", "build", "--load", "--progress=plain",
                "--file", "/src/app/Dockerfile",
                "--target", "final",
                "--platform", "linux/amd64,linux/arm64",
                "--label", "org.opencontainers.image.vendor=Contoso",
                "--pull", "--no-cache",
                "--cache-from", "type=registry,ref=127.0.0.1:5000/cache",
                "--cache-to", "type=registry,ref=127.0.0.1:5000/cache,mode=max",
                "--builder", "remote",
                "--metadata-file", "/src/app/obj/metadata.json",
                "--provenance=false", "--sbom=false",
                "--iidfile", "/src/app/obj/iid",
                "/src/app/bin/Release/net10.0/publish/",
            },
            DockerBuildArguments.Create(request, [], BuildMode.Buildx).ToArray());
    }

    [TestMethod]
    public void A_path_with_a_comma_or_quote_is_quoted_as_BuildKit_reads_CSV()
    {
        Assert.AreEqual(
            "id=netrc,\"src=/home/a,b/\"\"x\"\"\"",
            DockerBuildArguments.SecretSpec(new SecretReference("netrc", SecretReferenceKind.File, "/home/a,b/\"x\"")));
    }
}
