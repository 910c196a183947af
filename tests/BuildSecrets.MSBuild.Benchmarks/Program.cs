using System.Diagnostics;
using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Pipeline;
using BuildSecrets.MSBuild.Text;

// Usage: BuildSecrets.MSBuild.Benchmarks <docker client> <image> <base image>
// Runs the production scan (ImageProof.ScanAsync: docker save streamed into the scanner, base
// layers left out) and prints one line: seconds, MB read, layers scanned and left out, peak
// working set.
// Usage: BuildSecrets.MSBuild.Benchmarks context <folder> [every-folder]
// Runs the build context check's walk and search as the task does (the folder's .dockerignore
// followed) for a random secret, and prints one line: seconds, files read, MB read. With
// 'every-folder', walks as the check did before it skipped excluded folders (every file listed,
// the excluded ones then left out), for comparison.
if (args.Length is 2 or 3 && args[0] == "context")
{
    var contextNeedles = SecretValues.Needles("bench", System.Text.Encoding.UTF8.GetBytes($"bench-{Guid.NewGuid():N}")).Select(n => n.Bytes).ToArray();
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
        ByteSearch.FindInFile(file, contextNeedles);
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
var needles = SecretValues.Needles("netrc", System.Text.Encoding.UTF8.GetBytes($"machine 127.0.0.1\nlogin admin\npassword bench-{Guid.NewGuid():N}\n"));

var stopwatch = Stopwatch.StartNew();
var baseLayers = await client.LayerDiffIdsAsync(args[2], CancellationToken.None) ?? [];
var result = await ImageProof.ScanAsync(client, args[1], baseLayers, needles, CancellationToken.None);
stopwatch.Stop();

using var self = Process.GetCurrentProcess();
self.Refresh();
Console.WriteLine(
    $"scan_seconds={stopwatch.Elapsed.TotalSeconds:0.000} read_mb={result.BytesScanned / 1048576.0:0.0} layers_scanned={result.LayersScanned} " +
    $"layers_left_out={result.LayersSkipped} leaks={result.Leaks.Count} layout={result.Layout} peak_working_set_mb={self.PeakWorkingSet64 / 1048576.0:0.0}");
return 0;
