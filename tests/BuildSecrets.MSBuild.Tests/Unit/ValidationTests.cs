using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Validation;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class ValidationTests
{
    private string _folder = null!;
    private string _dockerfile = null!;
    private string _netrc = null!;
    private readonly Dictionary<string, string> _environment = new() { ["NETRC_CONTENT"] = "machine x login y password z" };

    [TestInitialize]
    public void CreateProject()
    {
        _folder = Repository.NewTempFolder("validation");
        _dockerfile = Path.Combine(_folder, "Dockerfile");
        File.WriteAllText(_dockerfile, "FROM scratch\n");
        _netrc = Path.Combine(_folder, "netrc");
        File.WriteAllText(_netrc, "machine x login y password z\n");
    }

    [TestCleanup]
    public void DeleteProject() => Directory.Delete(_folder, recursive: true);

    private BuildRequest Request(IReadOnlyList<SecretItem>? secrets = null, IReadOnlyList<BuildArgument>? buildArgs = null) => new()
    {
        Dockerfile = _dockerfile,
        Context = _folder,
        Repository = "my-app",
        Tags = ["latest", "1.2.3"],
        Secrets = secrets ?? [],
        BuildArgs = buildArgs ?? [],
        ImageIdFile = Path.Combine(_folder, "iid"),
    };

    private static SecretItem FromFile(string id, string path) => new(id) { Source = path };

    private static SecretItem FromVariable(string id, string variable) => new(id) { EnvironmentVariable = variable };

    private ValidatedRequest Validate(BuildRequest request)
    {
        string? Variable(string name) => _environment.TryGetValue(name, out var value) ? value : null;
        return new BuildRequestValidator(Variable, new UserSecrets(null, Variable, windows: false)).Validate(request);
    }

    private string[] Codes(BuildRequest request) => Validate(request).Problems.Select(d => d.Code).ToArray();

    private string Message(BuildRequest request) => Validate(request).Problems.Single().Message;

    [TestMethod]
    public void A_file_secret_and_an_environment_secret_that_exist_pass()
    {
        CollectionAssert.AreEqual(
            Array.Empty<string>(),
            Codes(Request([FromFile("netrc", _netrc), FromVariable("token", "NETRC_CONTENT")])));
    }

    [TestMethod]
    public void Each_source_metadata_makes_a_secret_of_its_own_type()
    {
        var validated = Validate(Request([
            FromFile("netrc", _netrc),
            FromVariable("token", "NETRC_CONTENT"),
            new SecretItem("inline") { Value = "a-value-written-in-the-project" },
            new SecretItem("feed") { UserSecret = "Feed:Token" },
        ]));

        CollectionAssert.AreEqual(
            new[] { typeof(FileSecretSource), typeof(EnvironmentSecretSource), typeof(ValueSecretSource), typeof(UserSecretSource) },
            validated.Secrets.Select(s => s.Source.GetType()).ToArray());
        Assert.AreEqual(_netrc, validated.Secrets[0].Source.File);
        Assert.AreEqual("NETRC_CONTENT", validated.Secrets[1].Source.BuildVariable);
        Assert.IsNull(validated.Secrets[2].Source.File ?? validated.Secrets[2].Source.BuildVariable, "a Value is in no file and no variable of the build");
        CollectionAssert.AreEqual(new[] { "BSEC1016", "BSEC1017" }, validated.Problems.Select(p => p.Code).ToArray());
    }

    [TestMethod]
    public void An_optional_secret_whose_source_is_absent_is_left_out_without_a_problem()
    {
        var validated = Validate(Request([
            FromFile("netrc", Path.Combine(_folder, "absent")) with { Required = false },
            FromVariable("token", "NOT_SET_ANYWHERE") with { Required = false },
        ]));

        Assert.AreEqual(0, validated.Secrets.Count);
        Assert.AreEqual(0, validated.Problems.Count);
        CollectionAssert.AreEqual(new[] { "netrc", "token" }, validated.LeftOut.Select(l => l.Secret.Id).ToArray());
        StringAssert.Contains(validated.LeftOut[1].Absence, "'NOT_SET_ANYWHERE'");
    }

    [TestMethod]
    public void A_secret_without_a_source_is_BSEC1001()
    {
        var request = Request([new SecretItem("netrc")]);
        CollectionAssert.AreEqual(new[] { "BSEC1001" }, Codes(request));
        StringAssert.Contains(Message(request), "DockerSecret 'netrc'");
    }

    [TestMethod]
    public void A_secret_with_both_sources_is_BSEC1002()
    {
        var request = Request([new SecretItem("netrc") { Source = _netrc, EnvironmentVariable = "NETRC_CONTENT" }]);
        CollectionAssert.AreEqual(new[] { "BSEC1002" }, Codes(request));
        StringAssert.Contains(Message(request), "'netrc'");
    }

    [TestMethod]
    public void A_missing_source_file_is_BSEC1003_naming_id_and_path()
    {
        var missing = Path.Combine(_folder, "nope", "netrc");
        var request = Request([FromFile("netrc", missing)]);
        CollectionAssert.AreEqual(new[] { "BSEC1003" }, Codes(request));
        StringAssert.Contains(Message(request), "'netrc'");
        StringAssert.Contains(Message(request), missing);
    }

    [TestMethod]
    public void A_source_that_is_a_folder_is_BSEC1004()
    {
        var request = Request([FromFile("netrc", _folder)]);
        CollectionAssert.AreEqual(new[] { "BSEC1004" }, Codes(request));
        StringAssert.Contains(Message(request), _folder);
    }

    [TestMethod]
    public void An_unset_or_empty_variable_is_BSEC1005_naming_the_variable()
    {
        _environment["EMPTY"] = string.Empty;
        var request = Request([FromVariable("a", "NOT_SET_ANYWHERE"), FromVariable("b", "EMPTY")]);
        CollectionAssert.AreEqual(new[] { "BSEC1005", "BSEC1005" }, Codes(request));
        var messages = Validate(request).Problems;
        StringAssert.Contains(messages[0].Message, "'NOT_SET_ANYWHERE'");
        StringAssert.Contains(messages[1].Message, "'EMPTY'");
    }

    [TestMethod]
    public void A_duplicate_id_is_BSEC1006()
    {
        var request = Request([FromFile("netrc", _netrc), FromVariable("netrc", "NETRC_CONTENT")]);
        CollectionAssert.AreEqual(new[] { "BSEC1006" }, Codes(request));
    }

    [TestMethod]
    [DataRow("id,with,comma")]
    [DataRow("key=value")]
    [DataRow("has space")]
    [DataRow("../escape")]
    [DataRow("..")]
    [DataRow(".")]
    public void An_id_BuildKit_would_not_accept_is_BSEC1007(string id)
    {
        var request = Request([FromFile(id, _netrc)]);
        CollectionAssert.AreEqual(new[] { "BSEC1007" }, Codes(request));
        StringAssert.Contains(Message(request), $"'{id}'");
    }

    [TestMethod]
    public void An_id_like_the_default_of_a_mount_without_id_is_accepted()
    {
        // RUN --mount=type=secret,target=/root/.npmrc mounts the secret '.npmrc'.
        CollectionAssert.AreEqual(Array.Empty<string>(), Codes(Request([FromFile(".npmrc", _netrc)])));
    }

    [TestMethod]
    public void An_invalid_variable_name_is_BSEC1008()
    {
        var request = Request([FromVariable("token", "1BAD-NAME")]);
        CollectionAssert.AreEqual(new[] { "BSEC1008" }, Codes(request));
        StringAssert.Contains(Message(request), "'1BAD-NAME'");
    }

    [TestMethod]
    public void A_missing_Dockerfile_is_BSEC1009()
    {
        File.Delete(_dockerfile);
        CollectionAssert.AreEqual(new[] { "BSEC1009" }, Codes(Request()));
        StringAssert.Contains(Message(Request()), _dockerfile);
    }

    [TestMethod]
    public void A_missing_context_is_BSEC1010()
    {
        var request = Request() with { Context = Path.Combine(_folder, "publish") };
        CollectionAssert.AreEqual(new[] { "BSEC1010" }, Codes(request));
        StringAssert.Contains(Message(request), Path.Combine(_folder, "publish"));
    }

    [TestMethod]
    [DataRow("A=B")]
    [DataRow("with space")]
    [DataRow("")]
    public void An_invalid_build_argument_name_is_BSEC1011(string name)
    {
        CollectionAssert.AreEqual(new[] { "BSEC1011" }, Codes(Request(buildArgs: [new(name, "x")])));
    }

    [TestMethod]
    public void A_duplicate_build_argument_is_BSEC1012()
    {
        CollectionAssert.AreEqual(new[] { "BSEC1012" }, Codes(Request(buildArgs: [new("URL", "a"), new("URL", "b")])));
    }

    [TestMethod]
    [DataRow("My-App")]
    [DataRow("my app")]
    [DataRow("-app")]
    [DataRow("app/")]
    public void An_invalid_repository_is_BSEC1013(string repository)
    {
        CollectionAssert.AreEqual(new[] { "BSEC1013" }, Codes(Request() with { Repository = repository }));
    }

    [TestMethod]
    [DataRow("my-app")]
    [DataRow("team/my_app")]
    [DataRow("registry.example.com:5000/team/my-app")]
    [DataRow("localhost:5000/my-app")]
    [DataRow("localhost/my.app")]
    public void Valid_repositories_pass(string repository)
    {
        CollectionAssert.AreEqual(Array.Empty<string>(), Codes(Request() with { Repository = repository }));
    }

    [TestMethod]
    [DataRow("-tag")]
    [DataRow(".tag")]
    [DataRow("with space")]
    [DataRow("a:b")]
    public void An_invalid_tag_is_BSEC1014(string tag)
    {
        var request = Request() with { Tags = ["latest", tag] };
        CollectionAssert.AreEqual(new[] { "BSEC1014" }, Codes(request));
        StringAssert.Contains(Message(request), $"'{tag}'");
    }
}
