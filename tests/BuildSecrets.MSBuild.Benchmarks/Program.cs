using System.Diagnostics;
using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Pipeline;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Text;

// Usage: BuildSecrets.MSBuild.Benchmarks <docker client> <image> <base image>
// Runs the production scan (ImageProof.ScanAsync: docker save streamed into the scanner, base
// layers left out) for a netrc and 63 random tokens, whose search strings (SecretValues.Needles:
// each part plain and in base64 at three alignments) number at least 256, and prints one line:
// seconds, search strings, MB read, layers scanned and left out, CPU seconds, peak working set.
// Usage: BuildSecrets.MSBuild.Benchmarks context <folder> [every-folder]
// Runs the build context check's walk and search as the task does (the folder's .dockerignore
// followed) for a random secret, and prints one line: seconds, files read, MB read. With
// 'every-folder', walks as the check did before it skipped excluded folders (every file listed,
// the excluded ones then left out), for comparison.
// Usage: BuildSecrets.MSBuild.Benchmarks context-check <context> <Dockerfile> <obj folder> <home>
// Runs the whole check before the build as a build does (LeakPrevention: the Dockerfile's context
// sources, the .dockerignore, the record of clean files in the obj folder, the rotation key in the
// home folder) for the secret in BENCH_SECRET, and prints one line: seconds, files read, files left
// unread as unchanged, MB read, errors.
if (args.Length == 5 && args[0] == "context-check")
{
    var secret = Environment.GetEnvironmentVariable("BENCH_SECRET") ?? throw new InvalidOperationException("BENCH_SECRET is not set");
    var request = new BuildRequest
    {
        Context = Path.GetFullPath(args[1]),
        Dockerfile = Path.GetFullPath(args[2]),
        ImageIdFile = Path.Combine(Path.GetFullPath(args[3]), "image-id"),
        Repository = "bench",
        Tags = ["latest"],
    };
    var home = Path.GetFullPath(args[4]);
    var log = new CountingLog();
    var prevention = new LeakPrevention(log, SecretRotation.ForUser(name => name == "HOME" ? home : null, windows: false));
    var checkWatch = Stopwatch.StartNew();
    prevention.Run(request, [new DeclaredSecret("bench", new ValueSecretSource(secret))], new Dictionary<string, byte[]> { ["bench"] = System.Text.Encoding.UTF8.GetBytes(secret) });
    checkWatch.Stop();
    var read = prevention.ContextFilesRead;
    Console.WriteLine($"check_seconds={checkWatch.Elapsed.TotalSeconds:0.000} files_read={read.FilesRead} files_skipped={read.FilesSkipped} read_mb={read.BytesRead / 1048576.0:0.0} errors={log.Errors}");
    return 0;
}

if (args.Length is 2 or 3 && args[0] == "context")
{
    var contextSearch = new MultiPatternSearch(SecretValues.Needles("bench", System.Text.Encoding.UTF8.GetBytes($"bench-{Guid.NewGuid():N}")).Select(n => n.Bytes).ToArray());
    var context = Path.GetFullPath(args[1]);
    var ignore = DockerIgnoreMatcher.Load(context, null);
    var watch = Stopwatch.StartNew();
    long files = 0, bytes = 0;
    var walk = args.Length == 3
        ? Directory.EnumerateFiles(context, "*", SearchOption.AllDirectories).Where(f => !ignore.IsExcluded(ContextFiles.RelativeTo(context, f)!))
        : ContextFiles.Enumerate(context, ignore);
    foreach (var file in walk)
    {
        files++;
        bytes += new FileInfo(file).Length;
        contextSearch.FindInFile(file);
    }

    watch.Stop();
    Console.WriteLine($"check_seconds={watch.Elapsed.TotalSeconds:0.000} files_read={files} read_mb={bytes / 1048576.0:0.0}");
    return 0;
}

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: BuildSecrets.MSBuild.Benchmarks <docker client> <image> <base image>");
    return 2;
}

var client = DockerClient.Locate(args[0], Environment.GetEnvironmentVariable("PATH"), OperatingSystem.IsWindows());
var secrets = new Dictionary<string, string> { ["netrc"] = $"machine 127.0.0.1\nlogin admin\npassword bench-{Guid.NewGuid():N}\n" };
for (var i = 1; i < 64; i++)
{
    secrets[$"token{i}"] = $"tok-{Guid.NewGuid():N}{Guid.NewGuid():N}{Guid.NewGuid():N}".Substring(0, 16 + i);
}

var needles = secrets.SelectMany(s => SecretValues.Needles(s.Key, System.Text.Encoding.UTF8.GetBytes(s.Value))).ToArray();
if (needles.Length < 200)
{
    Console.Error.WriteLine($"only {needles.Length} search strings: the benchmark needs at least 200");
    return 2;
}

// As a build does, the base image's layers are looked up before the scan (before the build, in fact).
var baseLayers = await client.LayerDiffIdsAsync(args[2], CancellationToken.None) ?? [];
var stopwatch = Stopwatch.StartNew();
var result = await ImageProof.ScanAsync(client, args[1], baseLayers, needles, CancellationToken.None);
stopwatch.Stop();

using var self = Process.GetCurrentProcess();
self.Refresh();
Console.WriteLine(
    $"scan_seconds={stopwatch.Elapsed.TotalSeconds:0.000} search_strings={needles.Length} read_mb={result.BytesScanned / 1048576.0:0.0} layers_scanned={result.LayersScanned} " +
    $"layers_left_out={result.LayersSkipped} leaks={result.Leaks.Count} layout={result.Layout} cpu_seconds={self.TotalProcessorTime.TotalSeconds:0.000} " +
    $"peak_working_set_mb={self.PeakWorkingSet64 / 1048576.0:0.0}");
return 0;

/// <summary>The check's log: counts errors, prints nothing (the benchmark prints its figures).</summary>
internal sealed class CountingLog : IBuildLog
{
    public int Errors { get; private set; }

    public void Report(Diagnostic diagnostic) => Errors += diagnostic.Severity == Severity.Error ? 1 : 0;

    public void Message(bool important, string text)
    {
    }
}
