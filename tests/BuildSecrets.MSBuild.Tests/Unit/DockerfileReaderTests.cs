using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class DockerfileReaderTests
{
    [TestMethod]
    public void Continuations_comments_inside_them_and_mount_options_in_any_order_are_read()
    {
        var dockerfile = DockerfileReader.Parse("""
            FROM base AS build
            RUN --network=host \
            # a comment inside the continuation

                --mount=target=/root/.netrc,required=true,type=secret,id=netrc \
                curl -n http://127.0.0.1/
            RUN --mount=type=secret,dst=/run/secrets/token,id=token --mount=type=cache,target=/cache make
            """);

        Assert.AreEqual(3, dockerfile.Instructions.Count);
        Assert.AreEqual(2, dockerfile.Instructions[1].Line);
        Assert.AreEqual("curl -n http://127.0.0.1/", dockerfile.Instructions[1].Arguments);
        Assert.AreEqual(2, dockerfile.SecretMounts.Count);
        Assert.AreEqual(new SecretMount("netrc", "/root/.netrc", true, 2), dockerfile.SecretMounts[0]);
        Assert.AreEqual("token", dockerfile.SecretMounts[1].Id);
        Assert.AreEqual("/run/secrets/token", dockerfile.SecretMounts[1].Target);
        Assert.IsFalse(dockerfile.SecretMounts[1].Required);
    }

    [TestMethod]
    public void The_escape_directive_makes_the_backtick_the_continuation_character()
    {
        var dockerfile = DockerfileReader.Parse("# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN --mount=type=secret,id=pfx `\n    copy C:\\a C:\\b\n");

        Assert.AreEqual(2, dockerfile.Instructions.Count);
        Assert.AreEqual("copy C:\\a C:\\b", dockerfile.Instructions[1].Arguments);
        Assert.AreEqual("pfx", dockerfile.SecretMounts.Single().Id);
    }

    [TestMethod]
    public void Heredocs_are_bodies_not_instructions()
    {
        var dockerfile = DockerfileReader.Parse("FROM base\nRUN --mount=type=secret,id=a <<EOF cat > /x <<-'END'\nRUN --mount=type=secret,id=fake echo not an instruction\nEOF\n\t\tindented\n\tEND\nCOPY <<\"CFG\" /etc/cfg\nkey=value\nCFG\nENV A=1\n");

        CollectionAssert.AreEqual(new[] { "FROM", "RUN", "COPY", "ENV" }, dockerfile.Instructions.Select(i => i.Keyword).ToArray());
        Assert.AreEqual("a", dockerfile.SecretMounts.Single().Id);
        Assert.AreEqual(10, dockerfile.Instructions[3].Line);
    }

    [TestMethod]
    public void An_unterminated_heredoc_is_a_parse_error_with_its_line()
    {
        var error = Assert.ThrowsExactly<DockerfileParseException>(() => DockerfileReader.Parse("FROM base\n\nRUN <<EOF\necho\n"));
        Assert.AreEqual(3, error.Line);
        StringAssert.Contains(error.Message, "<<EOF");
    }

    [TestMethod]
    [DataRow("type=secret,target=/root/.npmrc", ".npmrc", "/root/.npmrc", false)]
    [DataRow("type=secret,id=x,required", "x", "/run/secrets/x", true)]
    [DataRow("type=secret,id=x,required=false", "x", "/run/secrets/x", false)]
    [DataRow("type=secret,id=x,destination=/d", "x", "/d", false)]
    [DataRow("type=secret,id=x,\"target=/a,b\"", "x", "/a,b", false)]
    public void Secret_mount_options_follow_BuildKit_defaults(string options, string id, string target, bool required)
    {
        var mount = DockerfileReader.Parse($"FROM base\nRUN --mount={options} true\n").SecretMounts.Single();
        Assert.AreEqual(id, mount.Id);
        Assert.AreEqual(target, mount.Target);
        Assert.AreEqual(required, mount.Required);
    }

    [TestMethod]
    public void ARG_and_ENV_declarations_in_all_forms_are_read()
    {
        var dockerfile = DockerfileReader.Parse("ARG A=1 B\nFROM base\nENV C=\"two words\" D=4\nENV LEGACY value with spaces\n");

        CollectionAssert.AreEqual(
            new[] { "ARG A=1", "ARG B=", "ENV C=two words", "ENV D=4", "ENV LEGACY=value with spaces" },
            dockerfile.Variables.Select(v => $"{v.Kind} {v.Name}={v.Value}").ToArray());
    }

    [TestMethod]
    public void The_final_base_image_follows_stages_and_substitutes_global_args()
    {
        var dockerfile = DockerfileReader.Parse("ARG BASE=runtime:1\nFROM sdk:1 AS build\nFROM ${BASE} AS final-base\nFROM final-base\nCOPY --from=build /out /app\n");

        Assert.AreEqual("runtime:1", dockerfile.FinalBaseImage(new Dictionary<string, string>()));
        Assert.AreEqual("other:2", dockerfile.FinalBaseImage(new Dictionary<string, string> { ["BASE"] = "other:2" }));
        Assert.IsNull(DockerfileReader.Parse("FROM scratch\n").FinalBaseImage(new Dictionary<string, string>()));
        Assert.AreEqual(3, dockerfile.Stages.Count);
        Assert.AreEqual("final-base", dockerfile.Stages[1].Name);
    }

    [TestMethod]
    [DataRow("NPM_TOKEN", true)]
    [DataRow("DB_PASSWORD", true)]
    [DataRow("apiKey", true)]
    [DataRow("AWS_SECRET_ACCESS_KEY", true)]
    [DataRow("GITHUB_AUTH", true)]
    [DataRow("PUBLIC_KEY", false)]
    [DataRow("KEYBOARD_LAYOUT", false)]
    [DataRow("MESSAGE_URL", false)]
    [DataRow("PASSENGER", false)]
    [DataRow("SSH_KEY_FILE", false)]
    [DataRow("TOKEN_VERSION", false)]
    [DataRow("githubToken", false)]
    public void Credential_like_names_are_told_apart(string name, bool credential)
    {
        Assert.AreEqual(credential, DockerfileReader.LooksLikeCredential(name));
    }
}

/// <summary>What the Dockerfile says of the declared secrets, through the task with a fake docker client.</summary>
[TestClass]
public sealed class DockerfileCheckTests : TaskWithFakeDockerTests
{

    [TestInitialize]
    public void DeclareSecret()
    {
        Harness.Task.Secrets = [TaskHarness.FileSecret("netrc", Harness.WriteFile("../netrc-" + Guid.NewGuid().ToString("N"), "machine h login u password 0123456789abcdef"))];
    }


    [TestMethod]
    public void A_required_mount_of_an_undeclared_secret_is_BSEC4005_at_its_Dockerfile_line_before_docker_starts()
    {
        var dockerfile = Harness.WriteFile("Dockerfile", "FROM scratch\nRUN --mount=type=secret,id=netrc true\nRUN --mount=type=secret,id=npmrc,required=true npm ci\n");

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC4005" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "'npmrc'");
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "(line 3)");
        Assert.AreEqual(dockerfile, Harness.Engine.Errors[0].File);
        Assert.AreEqual(3, Harness.Engine.Errors[0].LineNumber);
        Assert.AreEqual(0, Docker.Invocations.Count);
    }

    [TestMethod]
    public void An_optional_mount_of_an_undeclared_secret_is_warning_BSEC4006()
    {
        Harness.WriteFile("Dockerfile", "FROM scratch\nRUN --mount=type=secret,id=netrc --mount=type=secret,id=npmrc npm ci\n");

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual("BSEC4006", Harness.Engine.Warnings.Single().Code);
        StringAssert.Contains(Harness.Engine.Warnings[0].Message, "'npmrc'");
    }

    [TestMethod]
    public void A_declared_secret_no_step_mounts_is_warning_BSEC4007()
    {
        Harness.WriteFile("Dockerfile", "FROM scratch\nRUN true\n");

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual("BSEC4007", Harness.Engine.Warnings.Single().Code);
        StringAssert.Contains(Harness.Engine.Warnings[0].Message, "DockerSecret 'netrc'");
    }

    [TestMethod]
    public void A_credential_like_ARG_is_warning_BSEC4008_advising_a_DockerSecret()
    {
        Harness.WriteFile("Dockerfile", "FROM scratch\nARG NPM_TOKEN\nRUN --mount=type=secret,id=netrc true\n");

        Assert.IsTrue(Harness.Execute(), Harness.Engine.Log);

        Assert.AreEqual("BSEC4008", Harness.Engine.Warnings.Single().Code);
        StringAssert.Contains(Harness.Engine.Warnings[0].Message, "ARG 'NPM_TOKEN'");
        StringAssert.Contains(Harness.Engine.Warnings[0].Message, "(line 2)");
        StringAssert.Contains(Harness.Engine.Warnings[0].Message, "DockerSecret");
    }

    [TestMethod]
    public void A_Dockerfile_that_cannot_be_parsed_is_BSEC4009()
    {
        Harness.WriteFile("Dockerfile", "FROM scratch\nRUN <<EOF\necho\n");

        Assert.IsFalse(Harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC4009" }, Harness.ErrorCodes.ToArray());
        StringAssert.Contains(Harness.Engine.Errors[0].Message, "(line 2)");
        Assert.AreEqual(0, Docker.Invocations.Count);
    }
}
