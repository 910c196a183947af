using System.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Pipeline;

// Usage: BuildSecrets.MSBuild.Benchmarks <docker client> <image> <base image>
// Runs the production scan (ImageProof.ScanAsync: docker save streamed into the scanner, base
// layers left out) and prints one line: seconds, MB read, layers scanned and left out, peak
// working set.
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
