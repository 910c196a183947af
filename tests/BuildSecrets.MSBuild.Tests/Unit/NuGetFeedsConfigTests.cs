using System.Xml.Linq;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>
/// The NuGet.Config a NuGetFeeds secret makes: the project's effective sources from the NuGet
/// configuration hierarchy, with the credentials of the three sources NuGet and the Azure Artifacts
/// credential provider read, or coded errors before docker starts.
/// </summary>
[TestClass]
public sealed class NuGetFeedsConfigTests
{
    private const string Password = "Feed-canary-9c41e7d2&<\"x";
    private const string PrivateUrl = "http://127.0.0.1:5555/v3/index.json";

    private string _root = null!;
    private string _project = null!;
    private readonly Dictionary<string, string> _environment = new();

    [TestInitialize]
    public void CreateFolders()
    {
        // root/NuGet.Config (outside the solution), root/sln/nuget.config, root/sln/app (the project), root/home (HOME).
        _root = Repository.NewTempFolder("nugetfeeds");
        _project = Path.Combine(_root, "sln", "app");
        Directory.CreateDirectory(_project);
        Directory.CreateDirectory(Path.Combine(_root, "home"));
        _environment["HOME"] = Path.Combine(_root, "home");
    }

    [TestCleanup]
    public void DeleteFolders() => Directory.Delete(_root, recursive: true);

    private void Write(string relativePath, string content)
    {
        var path = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static string Config(string body) => $"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n{body}\n</configuration>\n";

    private const string SolutionSources = $"""
        <packageSources>
          <clear />
          <add key="private" value="{PrivateUrl}" allowInsecureConnections="true" />
          <add key="local" value="../packages" />
          <add key="off" value="https://off.example.com/v3/index.json" />
        </packageSources>
        <disabledPackageSources>
          <add key="off" value="true" />
        </disabledPackageSources>
        """;

    private static string CredentialsSection(string name, string items) =>
        $"<packageSourceCredentials><{System.Xml.XmlConvert.EncodeLocalName(name)}>{items}</{System.Xml.XmlConvert.EncodeLocalName(name)}></packageSourceCredentials>";

    private static string ClearText(string password) =>
        $"<add key=\"Username\" value=\"admin\" /><add key=\"ClearTextPassword\" value=\"{System.Security.SecurityElement.Escape(password)}\" />";

    private NuGetFeedsResult Create(params string[] authenticatedFeeds) =>
        NuGetFeedsConfig.Create("nugetconfig", _project, authenticatedFeeds, name => _environment.TryGetValue(name, out var value) ? value : null, windows: false);

    private static XElement Source(NuGetFeedsResult result, string key) =>
        XDocument.Parse(result.ConfigXml!).Root!.Element("packageSources")!.Elements("add").Single(e => (string)e.Attribute("key")! == key);

    private static (string? User, string? Password) CredentialOf(NuGetFeedsResult result, string name)
    {
        var section = XDocument.Parse(result.ConfigXml!).Root!.Element("packageSourceCredentials")?.Element(System.Xml.XmlConvert.EncodeLocalName(name));
        string? Item(string key) => (string?)section?.Elements("add").SingleOrDefault(e => (string)e.Attribute("key")! == key)?.Attribute("value");
        return (Item("Username"), Item("ClearTextPassword"));
    }

    [TestMethod]
    public void The_sources_are_the_projects_enabled_network_sources_after_clear_and_disabledPackageSources()
    {
        Write("sln/nuget.config", Config(SolutionSources));
        Write("home/.nuget/NuGet/NuGet.Config", Config("<packageSources><add key=\"user-feed\" value=\"https://user.example.com/v3/index.json\" /></packageSources>"));

        var result = Create();

        CollectionAssert.AreEqual(Array.Empty<object>(), result.Problems.ToArray());
        var sources = XDocument.Parse(result.ConfigXml!).Root!.Element("packageSources")!.Elements().ToArray();
        Assert.AreEqual("clear", sources[0].Name.LocalName, "the generated file must not inherit the image's own sources");
        CollectionAssert.AreEqual(new[] { "private" }, sources.Skip(1).Select(e => (string)e.Attribute("key")!).ToArray(), result.ConfigXml);
        Assert.AreEqual("true", (string?)Source(result, "private").Attribute("allowInsecureConnections"), "attributes such as allowInsecureConnections are kept");
        Assert.IsTrue(result.Notes.Any(n => n.Contains("'local'", StringComparison.Ordinal) && n.Contains("left out", StringComparison.Ordinal)), string.Join("\n", result.Notes));
        Assert.AreEqual(0, result.Credentials.Count);
    }

    [TestMethod]
    public void Without_clear_the_user_configuration_adds_its_sources_and_a_missing_one_means_nuget_org()
    {
        Write("sln/nuget.config", Config($"<packageSources><add key=\"private\" value=\"{PrivateUrl}\" /></packageSources>"));

        var withDefault = Create();
        Write("home/.nuget/NuGet/NuGet.Config", Config("<packageSources><add key=\"user-feed\" value=\"https://user.example.com/v3/index.json\" /><add key=\"private\" value=\"https://overridden.example.com/\" /></packageSources>"));
        var withUserConfig = Create();

        Assert.AreEqual("https://api.nuget.org/v3/index.json", (string?)Source(withDefault, "nuget.org").Attribute("value"));
        Assert.AreEqual("https://user.example.com/v3/index.json", (string?)Source(withUserConfig, "user-feed").Attribute("value"));
        Assert.AreEqual(PrivateUrl, (string?)Source(withUserConfig, "private").Attribute("value"), "the configuration closest to the project wins");
    }

    [TestMethod]
    [DataRow("config")]
    [DataRow("config-variable")]
    [DataRow("environment")]
    [DataRow("vss")]
    public void Each_credential_source_gives_the_source_its_username_and_password(string from)
    {
        Write("sln/nuget.config", Config(SolutionSources));
        switch (from)
        {
            case "config":
                Write("NuGet.Config", Config(CredentialsSection("private", ClearText(Password))));
                break;
            case "config-variable":
                Write("NuGet.Config", Config(CredentialsSection("private", ClearText("%FEED_TOKEN%"))));
                _environment["FEED_TOKEN"] = Password;
                break;
            case "environment":
                _environment[NuGetFeedsConfig.CredentialsVariablePrefix + "private"] = $"Username=admin;Password={Password}";
                break;
            case "vss":
                _environment[NuGetFeedsConfig.VssEndpointsVariable] =
                    $"{{\"endpointCredentials\": [{{\"endpoint\": \"{PrivateUrl}/\", \"username\": \"admin\", \"password\": \"{Password.Replace("\"", "\\\"", StringComparison.Ordinal)}\"}}]}}";
                break;
        }

        var result = Create("private");

        CollectionAssert.AreEqual(Array.Empty<object>(), result.Problems.ToArray(), string.Join("\n", result.Problems));
        Assert.AreEqual(("admin", Password), CredentialOf(result, "private"));
        CollectionAssert.AreEqual(new[] { Password }, result.Credentials.ToArray());
        Assert.IsTrue(result.Notes.Any(n => n.Contains("gets credentials from", StringComparison.Ordinal)), string.Join("\n", result.Notes));
        Assert.IsFalse(string.Join("\n", result.Notes).Contains(Password, StringComparison.Ordinal), "a note holds the password");
    }

    [TestMethod]
    public void The_variable_wins_over_the_configuration_and_the_configuration_over_the_VSS_endpoints()
    {
        Write("sln/nuget.config", Config(SolutionSources + CredentialsSection("private", ClearText("from-config-1234"))));
        _environment[NuGetFeedsConfig.VssEndpointsVariable] = $"{{\"endpointCredentials\": [{{\"endpoint\": \"{PrivateUrl}\", \"password\": \"from-vss-12345\"}}]}}";
        Assert.AreEqual(("admin", "from-config-1234"), CredentialOf(Create(), "private"));

        _environment[NuGetFeedsConfig.CredentialsVariablePrefix + "private"] = "Username=env-user;Password=from-variable-1234";
        Assert.AreEqual(("env-user", "from-variable-1234"), CredentialOf(Create(), "private"));
    }

    [TestMethod]
    public void A_VSS_endpoint_without_a_username_gets_the_credential_providers_default()
    {
        Write("sln/nuget.config", Config(SolutionSources));
        _environment[NuGetFeedsConfig.VssEndpointsVariable] = $"{{\"endpointCredentials\": [{{\"endpoint\": \"{PrivateUrl}\", \"password\": \"{Password.Replace("\"", "\\\"", StringComparison.Ordinal)}\"}}]}}";

        Assert.AreEqual((NuGetFeedsConfig.VssDefaultUsername, Password), CredentialOf(Create(), "private"));
    }

    [TestMethod]
    public void A_source_name_with_spaces_round_trips_through_the_encoded_element_name()
    {
        Write("sln/nuget.config", Config($"<packageSources><clear /><add key=\"My Feed\" value=\"{PrivateUrl}\" /></packageSources>"));
        Write("NuGet.Config", Config(CredentialsSection("My Feed", ClearText(Password))));

        var result = Create("My Feed");

        Assert.AreEqual(("admin", Password), CredentialOf(result, "My Feed"));
        StringAssert.Contains(result.ConfigXml, "<My_x0020_Feed>");
    }

    [TestMethod]
    public void The_scan_searches_for_each_password_plain_and_XML_escaped()
    {
        Write("sln/nuget.config", Config(SolutionSources));
        _environment[NuGetFeedsConfig.CredentialsVariablePrefix + "private"] = $"Username=admin;Password={Password}";

        var xml = Create().ConfigXml!;
        var needles = SecretValues.Needles("nugetconfig", System.Text.Encoding.UTF8.GetBytes(xml));
        var parts = SecretValues.TextNeedles(needles).ToArray();

        CollectionAssert.Contains(parts, Password);
        CollectionAssert.Contains(parts, System.Security.SecurityElement.Escape(Password));
        Assert.IsFalse(parts.Any(p => p.Contains(PrivateUrl, StringComparison.Ordinal)), "only the credentials are searched for: " + string.Join(" | ", parts));
        Assert.IsNull(SecretValues.WhyNotVerifiable(System.Text.Encoding.UTF8.GetBytes(xml)));
    }

    [TestMethod]
    public void Build_output_showing_the_sources_is_not_masked_but_a_password_is()
    {
        Write("sln/nuget.config", Config(SolutionSources));
        _environment[NuGetFeedsConfig.CredentialsVariablePrefix + "private"] = $"Username=admin;Password={Password}";
        var redactor = SecretRedactor.For(new Dictionary<string, byte[]> { ["nugetconfig"] = System.Text.Encoding.UTF8.GetBytes(Create().ConfigXml!) });
        var markup = $"<configuration><packageSources><clear /><add key=\"private\" value=\"{PrivateUrl}\" allowInsecureConnections=\"true\" /></packageSources></configuration>";

        Assert.AreEqual(markup, redactor.Redact(markup));
        Assert.AreEqual("token ***", redactor.Redact("token " + Password));
    }

    [TestMethod]
    public void An_encrypted_password_off_Windows_is_BSEC1031_naming_the_source_and_the_file()
    {
        Write("sln/nuget.config", Config(SolutionSources));
        Write("NuGet.Config", Config(CredentialsSection("private", "<add key=\"Username\" value=\"admin\" /><add key=\"Password\" value=\"AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAA\" />")));

        var result = Create();

        Assert.IsNull(result.ConfigXml);
        Assert.AreEqual("BSEC1031", result.Problems.Single().Code);
        StringAssert.Contains(result.Problems[0].Message, "'private'");
        StringAssert.Contains(result.Problems[0].Message, Path.Combine(_root, "NuGet.Config"));
        StringAssert.Contains(result.Problems[0].Message, "only Windows can decrypt");
    }

    [TestMethod]
    [DataRow("Password=only-a-password-1234")]
    [DataRow("Username=admin;Password=")]
    public void A_malformed_credentials_variable_is_BSEC1031_naming_the_variable(string value)
    {
        Write("sln/nuget.config", Config(SolutionSources));
        _environment[NuGetFeedsConfig.CredentialsVariablePrefix + "private"] = value;

        var problem = Create().Problems.Single();

        Assert.AreEqual("BSEC1031", problem.Code);
        StringAssert.Contains(problem.Message, NuGetFeedsConfig.CredentialsVariablePrefix + "private");
        Assert.IsFalse(problem.Message.Contains("1234", StringComparison.Ordinal), "the message quotes the value");
    }

    [TestMethod]
    public void A_ClearTextPassword_naming_an_unset_variable_is_BSEC1031()
    {
        Write("sln/nuget.config", Config(SolutionSources + CredentialsSection("private", ClearText("%UNSET_FEED_TOKEN%"))));

        Assert.AreEqual("BSEC1031", Create().Problems.Single().Code);
    }

    [TestMethod]
    [DataRow("private", PrivateUrl)]
    [DataRow(PrivateUrl, PrivateUrl)]
    [DataRow(null, "https://nuget.pkg.github.com/contoso/index.json")]
    public void A_source_that_needs_credentials_and_has_none_is_BSEC1032_naming_it(string? listed, string url)
    {
        Write("sln/nuget.config", Config($"<packageSources><clear /><add key=\"private\" value=\"{url}\" /></packageSources>"));

        var result = listed is null ? Create() : Create(listed);

        Assert.IsNull(result.ConfigXml);
        Assert.AreEqual("BSEC1032", result.Problems.Single().Code);
        StringAssert.Contains(result.Problems[0].Message, $"'private' ({url})");
        StringAssert.Contains(result.Problems[0].Message, NuGetFeedsConfig.CredentialsVariablePrefix + "private");
    }

    [TestMethod]
    public void NuGetAuthenticatedFeeds_naming_no_enabled_source_is_BSEC1033()
    {
        Write("sln/nuget.config", Config(SolutionSources));
        _environment[NuGetFeedsConfig.CredentialsVariablePrefix + "private"] = $"Username=admin;Password={Password}";

        var problem = Create("privat").Problems.Single();

        Assert.AreEqual("BSEC1033", problem.Code);
        StringAssert.Contains(problem.Message, "'privat'");
        StringAssert.Contains(problem.Message, "private");
    }

    [TestMethod]
    public void A_configuration_that_is_not_XML_is_BSEC1030_naming_the_file_without_quoting_it()
    {
        Write("sln/nuget.config", $"<configuration><packageSourceCredentials><private><add key=\"ClearTextPassword\" value=\"{Password}\"></private>");

        var problem = Create().Problems.Single();

        Assert.AreEqual("BSEC1030", problem.Code);
        StringAssert.Contains(problem.Message, Path.Combine(_root, "sln", "nuget.config"));
        Assert.IsFalse(problem.Message.Contains("canary", StringComparison.OrdinalIgnoreCase), problem.Message);
    }

    [TestMethod]
    public void VSS_endpoints_that_are_not_JSON_are_BSEC1030_naming_the_variable()
    {
        Write("sln/nuget.config", Config(SolutionSources));
        _environment[NuGetFeedsConfig.VssEndpointsVariable] = "{\"endpointCredentials\": [";

        var problem = Create().Problems.Single();

        Assert.AreEqual("BSEC1030", problem.Code);
        StringAssert.Contains(problem.Message, NuGetFeedsConfig.VssEndpointsVariable);
    }

    // Through the task, with a fake docker client.
    [TestMethod]
    public void The_generated_file_reaches_docker_through_its_environment_only()
    {
        using var harness = new TaskHarness();
        harness.WriteFile("nuget.config", Config(SolutionSources));
        harness.Environment["HOME"] = Path.Combine(harness.ProjectDirectory, "home");
        harness.Environment[NuGetFeedsConfig.CredentialsVariablePrefix + "private"] = $"Username=admin;Password={Password}";
        var received = Path.Combine(harness.ProjectDirectory, "received");
        using var docker = FakeDocker.Create(build: $"printf '%s' \"$BUILDSECRETS_SECRET_0\" > '{received}'\n" + FakeDocker.SuccessfulBuild);
        harness.Task.DockerCli = docker.Path;
        harness.Task.Secrets = [new TaskItem("nugetconfig", new Dictionary<string, string> { ["NuGetFeeds"] = "true", ["NuGetAuthenticatedFeeds"] = "private" })];

        Assert.IsTrue(harness.Execute(), harness.Engine.Log);

        Assert.AreEqual(("admin", Password), CredentialOf(new NuGetFeedsResult(File.ReadAllText(received), [], [], []), "private"));
        var build = docker.Invocations.Single(i => i.StartsWith("build ", StringComparison.Ordinal));
        StringAssert.Contains(build, "--secret id=nugetconfig,env=BUILDSECRETS_SECRET_0");
        Assert.IsFalse(build.Contains(Password, StringComparison.Ordinal), build);
        Assert.IsFalse(harness.Engine.Log.Contains(Password, StringComparison.Ordinal), harness.Engine.Log);
        StringAssert.Contains(harness.Engine.Log, "'local'");
        Assert.AreEqual(0, harness.Engine.Warnings.Count, harness.Engine.Log);
    }

    [TestMethod]
    public void Missing_credentials_stop_the_task_before_docker_starts()
    {
        using var harness = new TaskHarness();
        harness.WriteFile("nuget.config", Config(SolutionSources));
        harness.Environment["HOME"] = Path.Combine(harness.ProjectDirectory, "home");
        using var docker = FakeDocker.Create();
        harness.Task.DockerCli = docker.Path;
        harness.Task.Secrets = [new TaskItem("nugetconfig", new Dictionary<string, string> { ["NuGetFeeds"] = "true", ["NuGetAuthenticatedFeeds"] = "private" })];

        Assert.IsFalse(harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1032" }, harness.ErrorCodes.ToArray());
        Assert.AreEqual(0, docker.Invocations.Count);
    }

    [TestMethod]
    public void NuGetFeeds_with_another_source_is_BSEC1002()
    {
        using var harness = new TaskHarness();
        using var docker = FakeDocker.Create();
        harness.Task.DockerCli = docker.Path;
        harness.Task.Secrets = [new TaskItem("nugetconfig", new Dictionary<string, string> { ["NuGetFeeds"] = "true", ["EnvironmentVariable"] = "FEED" })];

        Assert.IsFalse(harness.Execute());

        CollectionAssert.AreEqual(new[] { "BSEC1002" }, harness.ErrorCodes.ToArray());
    }
}
