using System.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Pipeline;

// Usage: BuildSecrets.MSBuild.Benchmarks <docker client> <image> <base image>
// Runs the production scan (ImageProof.ScanAsync: docker save streamed into the scanner, base
// layers left out) for a netrc and 63 random tokens, whose search strings (SecretValues.Needles:
// each part plain and in base64 at three alignments) number at least 256, and prints one line:
// seconds, search strings, MB read, layers scanned and left out, CPU seconds, peak working set.
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

var needles = secrets.SelectMany(s => SecretValues.Needles(s.Key, s.Value)).ToArray();
if (needles.Length < 200)
{
    Console.Error.WriteLine($"only {needles.Length} search strings: the benchmark needs at least 200");
    return 2;
}

var stopwatch = Stopwatch.StartNew();
var result = await ImageProof.ScanAsync(client, args[1], args[2], needles, CancellationToken.None);
stopwatch.Stop();

using var self = Process.GetCurrentProcess();
self.Refresh();
Console.WriteLine(
    $"scan_seconds={stopwatch.Elapsed.TotalSeconds:0.000} search_strings={needles.Length} read_mb={result.BytesScanned / 1048576.0:0.0} layers_scanned={result.LayersScanned} " +
    $"layers_left_out={result.LayersSkipped} leaks={result.Leaks.Count} layout={result.Layout} cpu_seconds={self.TotalProcessorTime.TotalSeconds:0.000} " +
    $"peak_working_set_mb={self.PeakWorkingSet64 / 1048576.0:0.0}");
return 0;
