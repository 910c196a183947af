using BuildSecrets.MSBuild.Tasks;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>A project folder with a Dockerfile and a publish folder, and a task wired to a mock engine.</summary>
internal sealed class TaskHarness : IDisposable
{
    public TaskHarness()
    {
        ProjectDirectory = Repository.NewTempFolder("task");
        Directory.CreateDirectory(Path.Combine(ProjectDirectory, "publish"));
        File.WriteAllText(Path.Combine(ProjectDirectory, "Dockerfile"), "FROM scratch\n");
        Task = new BuildDockerImage
        {
            BuildEngine = Engine,
            ProjectDirectory = ProjectDirectory,
            Dockerfile = "Dockerfile",
            Context = "publish",
            Repository = "consumer",
            Tags = ["latest"],
            ImageIdFile = Path.Combine(ProjectDirectory, "obj", "image-id.txt"),
            GetEnvironmentVariable = name => Environment.TryGetValue(name, out var value) ? value : null,
        };
        Directory.CreateDirectory(Path.Combine(ProjectDirectory, "obj"));
    }

    public string ProjectDirectory { get; }

    public MockEngine Engine { get; } = new();

    public BuildDockerImage Task { get; }

    /// <summary>
    /// The environment the task sees (not the test process's). Its engine is behind a socket that
    /// does not exist: a publish that changes nothing asks the fake client, never this machine's
    /// daemon (a test that wants the socket sets DOCKER_HOST).
    /// </summary>
    public Dictionary<string, string> Environment { get; } = new() { ["PATH"] = "/nonexistent", ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" };

    private bool _customDockerfile;

    /// <summary>
    /// Runs the task. Unless the test wrote its own Dockerfile, the Dockerfile first gets, as a real
    /// project's would, a COPY of the whole context (the publish folder) and one RUN step mounting
    /// every declared secret.
    /// </summary>
    public bool Execute()
    {
        if (!_customDockerfile)
        {
            var mounts = string.Concat(Task.Secrets.Select(s => $"--mount=type=secret,id={s.ItemSpec} "));
            File.WriteAllText(Path.Combine(ProjectDirectory, "Dockerfile"), mounts.Length == 0 ? "FROM scratch\nCOPY . /app\n" : $"FROM scratch\nCOPY . /app\nRUN {mounts}true\n");
        }

        return Task.Execute();
    }

    public string WriteFile(string relativePath, string content)
    {
        _customDockerfile |= relativePath == "Dockerfile";
        var path = Path.Combine(ProjectDirectory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public static ITaskItem FileSecret(string id, string source) =>
        new TaskItem(id, new Dictionary<string, string> { ["Source"] = source });

    public static ITaskItem EnvironmentSecret(string id, string variable) =>
        new TaskItem(id, new Dictionary<string, string> { ["EnvironmentVariable"] = variable });

    public static ITaskItem BuildArg(string name, string value) =>
        new TaskItem(name, new Dictionary<string, string> { ["Value"] = value });

    /// <summary>The codes of the errors logged, in order.</summary>
    public IReadOnlyList<string> ErrorCodes => Engine.Errors.Select(e => e.Code).ToArray();

    public void Dispose() => Directory.Delete(ProjectDirectory, recursive: true);
}
