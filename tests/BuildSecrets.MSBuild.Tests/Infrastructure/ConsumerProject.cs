using System.Collections.Concurrent;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>
/// A throw-away .NET console project that references the packed package from the local folder
/// feed, with its own NuGet.config, and is published with the real 'dotnet publish'.
/// </summary>
internal sealed class ConsumerProject : IDisposable
{
    public const string DefaultProgram = """
        var message = Path.Combine(AppContext.BaseDirectory, "message.txt");
        Console.Write(File.Exists(message) ? File.ReadAllText(message) : "no message.txt\n");
        """;

    private static readonly ConcurrentDictionary<string, int> Runs = new();
    private readonly string _testName;

    private ConsumerProject(string testName, string folder, string project = "Consumer")
    {
        _testName = testName;
        Folder = folder;
        ProjectFolder = Path.Combine(folder, project);
        Directory.CreateDirectory(ProjectFolder);
    }

    /// <summary>The parent folder: files here are outside the project (like a user's ~/.netrc).</summary>
    public string Folder { get; }

    public string ProjectFolder { get; }

    public string PublishFolder => Path.Combine(ProjectFolder, "bin", "Release", "net10.0", "publish");

    /// <summary>The temp folder (TMPDIR) of this consumer's builds, to prove nothing is left there.</summary>
    public string TempFolder => Path.Combine(Folder, "tmp");

    /// <summary>The Program.cs of a Microsoft.NET.Sdk.Web consumer: an empty ASP.NET Core app.</summary>
    public const string WebProgram = """
        var app = WebApplication.CreateBuilder(args).Build();
        app.Run();
        """;

    public static async Task<ConsumerProject> CreateAsync(
        string testName, string projectBody, string? dockerfile = null, string program = DefaultProgram, string sdk = "Microsoft.NET.Sdk")
    {
        var feed = await PackageFeed.FolderAsync();
        var consumer = new ConsumerProject(testName, Repository.NewTempFolder("consumer"));
        consumer.WriteProjectFile("NuGet.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        consumer.WriteProjectFile("Consumer.csproj", $"""
            <Project Sdk="{sdk}">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BuildSecrets.MSBuild" Version="{PackageFeed.Version}" />
              </ItemGroup>
            {projectBody}
            </Project>
            """);
        consumer.WriteProjectFile("Program.cs", program);
        if (dockerfile is not null)
        {
            consumer.WriteProjectFile("Dockerfile", dockerfile);
        }

        return consumer;
    }

    /// <summary>
    /// A copy of a sample of the repository (samples/&lt;sample&gt;, without bin and obj) in a fresh
    /// folder; the project is &lt;sample&gt;/&lt;project&gt;, so the sample's parent folder is outside it.
    /// </summary>
    public static ConsumerProject FromSample(string testName, string sample, string project)
    {
        var consumer = new ConsumerProject(testName, Repository.NewTempFolder("sample"), Path.Combine(sample, project));
        var source = Path.Combine(Repository.Root, "samples", sample);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (!relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                WriteFile(Path.Combine(consumer.Folder, sample, relative), File.ReadAllText(file));
            }
        }

        return consumer;
    }

    /// <summary>
    /// The image id of the package's "Consumer -&gt; &lt;image&gt; (&lt;id&gt;)" line for <paramref name="image"/>
    /// (repository:tag), the last one when there are several, or null when the output has none.
    /// </summary>
    public static string? LoggedImageId(string output, string image)
    {
        var prefix = $"Consumer -> {image} (";
        var line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line?.Substring(prefix.Length).TrimEnd(')');
    }

    public string WriteProjectFile(string relativePath, string content) => WriteFile(Path.Combine(ProjectFolder, relativePath), content);

    /// <summary>Writes a file beside the project folder, outside it.</summary>
    public string WriteOutsideFile(string name, string content) => WriteFile(Path.Combine(Folder, name), content);

    /// <summary>Runs 'dotnet publish -c Release' and keeps its output in artifacts/test-logs.</summary>
    public Task<CommandOutcome> PublishAsync(IReadOnlyDictionary<string, string?>? environment = null, params string[] properties) =>
        RunDotnetAsync("publish", environment, properties.Select(p => $"-p:{p}"));

    /// <summary>Runs 'dotnet VERB -c Release' with further arguments, keeping its output and a binlog in artifacts/test-logs.</summary>
    public async Task<CommandOutcome> RunDotnetAsync(
        string verb, IReadOnlyDictionary<string, string?>? environment, IEnumerable<string> extraArguments, Func<string, bool>? interruptWhen = null)
    {
        var run = Runs.AddOrUpdate(_testName, 1, (_, n) => n + 1);
        var logFolder = Repository.LogFolder(_testName);
        var variables = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = PackageFeed.PackagesFolder,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["TMPDIR"] = TempFolder,
        };
        Directory.CreateDirectory(TempFolder);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            variables[name] = value;
        }

        var extra = extraArguments.ToArray();
        var arguments = new List<string> { verb, verb == "msbuild" ? "-p:Configuration=Release" : "-c:Release", "-nodeReuse:false", $"-bl:{Path.Combine(logFolder, $"{verb}-{run}.binlog")}" };
        if (!extra.Any(a => a.StartsWith("-tl:", StringComparison.Ordinal)))
        {
            // The console logger at normal verbosity, unless the test asks for the terminal logger as a user gets it.
            arguments.AddRange(["-tl:off", "-v:n"]);
        }

        arguments.AddRange(extra);
        return await Commands.RunAsync("dotnet", arguments, ProjectFolder, variables, Path.Combine(logFolder, $"{verb}-{run}.log"), TimeSpan.FromMinutes(10), interruptWhen);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finished build; the temp folder is cleaned by the OS.
        }
    }

    private static string WriteFile(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content.Replace("\r\n", "\n"));
        return path;
    }
}
