using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Pipeline;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Tests.Infrastructure;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>
/// The context check of stage 3 (<see cref="LeakPrevention"/>): it searches what the Dockerfile can
/// take, and skips files unchanged since a clean check (the record under obj/).
/// </summary>
[TestClass]
public sealed class ContextCheckTests
{
    private const string Canary = "Canary-context-7e2b9d4f1a";

    private string _folder = null!;
    private RecordingLog _log = new();

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Repository.NewTempFolder("context-check");
        Directory.CreateDirectory(Path.Combine(_folder, "context", "App"));
        Directory.CreateDirectory(Path.Combine(_folder, "context", "other"));
        WriteDockerfile("COPY App /app");
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string Context => Path.Combine(_folder, "context");

    private string RecordFile => Path.Combine(_folder, "obj", "context-check");

    private ImageBuildOptions Options => new() { GetEnvironmentVariable = name => name == "HOME" ? Path.Combine(_folder, "home") : null };

    private BuildRequest Request => new()
    {
        Dockerfile = Path.Combine(_folder, "Dockerfile"),
        Context = Context,
        Repository = "context",
        Tags = ["latest"],
        ImageIdFile = Path.Combine(_folder, "obj", "iid"),
    };

    private void WriteDockerfile(string copy) =>
        File.WriteAllText(Path.Combine(_folder, "Dockerfile"), $"FROM scratch\n{copy}\nRUN --mount=type=secret,id=token true\n");

    private string WriteContextFile(string relativePath, string content)
    {
        var path = Path.Combine(Context, relativePath);
        File.WriteAllText(path, content);
        return path;
    }

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    /// <summary>Runs the check with a fresh log; returns the codes it reported and what it read of the context.</summary>
    private (string[] Codes, int Read, int Skipped) Check(string value = Canary, params (string Id, string Value)[] more)
    {
        _log = new RecordingLog();
        var values = new Dictionary<string, byte[]> { ["token"] = Bytes(value) };
        var secrets = new List<DeclaredSecret> { new("token", new EnvironmentSecretSource("TOKEN", _ => value)) };
        foreach (var (id, other) in more)
        {
            values[id] = Bytes(other);
            secrets.Add(new DeclaredSecret(id, new ValueSecretSource(other)));
        }

        var prevention = new LeakPrevention(_log, SecretRotation.ForUser(Options.GetEnvironmentVariable, Options.Windows));
        prevention.Run(Request, secrets, values);
        Assert.IsFalse(_log.Messages.Any(m => m.Text.Contains(value, StringComparison.Ordinal)), "a value reached the log");
        return (_log.Diagnostics.Where(d => d.Code != "BSEC4007").Select(d => d.Code).ToArray(), prevention.ContextFilesRead.FilesRead, prevention.ContextFilesRead.FilesSkipped);
    }

    [TestMethod]
    public void A_copy_in_a_file_no_COPY_takes_is_not_reported_and_one_in_a_file_a_COPY_takes_is_BSEC4002()
    {
        WriteContextFile("other/settings.txt", $"password {Canary}\n");
        WriteContextFile("App/clean.txt", "nothing here\n");
        Assert.AreEqual(0, Check().Codes.Length, string.Join(", ", _log.Codes));

        var taken = WriteContextFile("App/settings.txt", $"password {Canary}\n");
        Assert.AreEqual("BSEC4002", Check().Codes.Single());
        StringAssert.Contains(_log.Diagnostics.Single(d => d.Code == "BSEC4002").Message, taken);
    }

    [TestMethod]
    public void Without_a_COPY_no_context_file_is_read()
    {
        WriteDockerfile("ENV A=b");
        WriteContextFile("App/settings.txt", $"password {Canary}\n");

        var (codes, read, _) = Check();

        Assert.AreEqual(0, codes.Length);
        Assert.AreEqual(0, read);
        StringAssert.Contains(_log.Messages.Single(m => m.Text.Contains("file(s) of the build context", StringComparison.Ordinal)).Text, "searched 0 file(s)");
    }

    [TestMethod]
    public void An_unchanged_file_is_not_read_again_until_its_time_or_the_secrets_change()
    {
        var file = WriteContextFile("App/settings.txt", $"password {new string('x', Canary.Length)}\n");
        WriteContextFile("App/other.txt", "other\n");
        var time = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, time);
        var size = new FileInfo(file).Length;

        var first = Check();
        Assert.AreEqual((0, 2, 0), (first.Codes.Length, first.Read, first.Skipped));
        var record = File.ReadAllText(RecordFile);
        Assert.IsFalse(record.Contains(Canary, StringComparison.Ordinal), record);
        Assert.IsFalse(record.Contains(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Bytes(Canary))), StringComparison.OrdinalIgnoreCase), record);

        // The same size and time, but now the copy: the record says clean, so it is not read (proof it is skipped).
        File.WriteAllText(file, $"password {Canary}\n");
        File.SetLastWriteTimeUtc(file, time);
        Assert.AreEqual(size, new FileInfo(file).Length);
        var skipped = Check();
        Assert.AreEqual((0, 0, 2), (skipped.Codes.Length, skipped.Read, skipped.Skipped));
        StringAssert.Contains(_log.Messages.Single(m => m.Text.Contains("file(s) of the build context", StringComparison.Ordinal)).Text, "2 file(s) unchanged");

        // Other secrets: the record is another's, every file is read again.
        var otherSecrets = Check(Canary, ("second", "Second-canary-5c3e1b"));
        Assert.AreEqual(("BSEC4002", 2, 0), (otherSecrets.Codes.Single(), otherSecrets.Read, otherSecrets.Skipped));

        // Another time: read again.
        File.SetLastWriteTimeUtc(file, time.AddSeconds(1));
        var touched = Check();
        Assert.AreEqual(("BSEC4002", 1, 1), (touched.Codes.Single(), touched.Read, touched.Skipped));
    }

    [TestMethod]
    public void A_check_that_finds_a_copy_writes_no_record()
    {
        WriteContextFile("App/settings.txt", $"password {Canary}\n");

        Assert.AreEqual("BSEC4002", Check().Codes.Single());
        Assert.IsFalse(File.Exists(RecordFile));
    }

    [TestMethod]
    public void Without_a_home_folder_for_the_key_there_is_no_record()
    {
        WriteContextFile("App/clean.txt", "clean\n");
        _log = new RecordingLog();
        var prevention = new LeakPrevention(_log, SecretRotation.ForUser(_ => null, windows: false));

        Assert.IsNotNull(prevention.Run(Request, [new DeclaredSecret("token", new ValueSecretSource(Canary))], new Dictionary<string, byte[]> { ["token"] = Bytes(Canary) }));
        Assert.IsFalse(File.Exists(RecordFile));
    }
}
