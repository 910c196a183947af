using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>The real engine the end-to-end tests build on, through the client the test command chose.</summary>
internal static class DockerEngine
{
    /// <summary>The base image eng/setup-engine.sh builds offline: busybox, curl and the .NET runtime.</summary>
    public const string BaseImage = "buildsecrets-test/runtime-curl:1";

    /// <summary>The SDK image eng/setup-engine.sh builds offline on the base image: this machine's whole .NET SDK.</summary>
    public const string SdkImage = "buildsecrets-test/sdk:1";

    /// <summary>The docker client: BUILDSECRETS_DOCKER as set by eng/test.sh, else 'docker' from PATH.</summary>
    public static string Cli { get; } = Environment.GetEnvironmentVariable("BUILDSECRETS_DOCKER") is { Length: > 0 } cli ? cli : "docker";

    private static readonly Lazy<Task> Ready = new(CheckReadyAsync);

    /// <summary>Fails (never skips) when no engine answers or the base image is missing.</summary>
    public static Task EnsureReadyAsync() => Ready.Value;

    public static Task<CommandOutcome> RunAsync(params string[] arguments) =>
        Commands.RunAsync(Cli, arguments, environment: new Dictionary<string, string?> { ["DOCKER_BUILDKIT"] = "1" });

    public static async Task RemoveImageAsync(string reference) => await RunAsync("image", "rm", "--force", reference);

    /// <summary>Fails when <paramref name="value"/> is anywhere in the image: a layer or the config of the saved image, the history, the inspected config.</summary>
    public static async Task AssertImageHasNoAsync(string image, string value, string what)
    {
        CollectionAssert.AreEqual(Array.Empty<string>(), (await FindInSavedImageAsync(image, value)).ToArray(), $"{what} is in the saved image");
        var history = await RunAsync("history", "--no-trunc", image);
        Assert.AreEqual(0, history.ExitCode, history.ToString());
        Assert.IsFalse(history.Output.Contains(value, StringComparison.Ordinal), $"{what} is in the image history");
        var inspect = await RunAsync("image", "inspect", image);
        Assert.IsFalse(inspect.Output.Contains(value, StringComparison.Ordinal), $"{what} is in the image config");
    }

    /// <summary>Every place of a saved image the bytes of <paramref name="needle"/> appear in: archive entries, nested layer tars, gzip layers.</summary>
    public static Task<IReadOnlyList<string>> FindInSavedImageAsync(string image, string needle) => FindInSavedImageAsync(Cli, null, image, needle);

    /// <summary>The same, with any client and its environment (Docker 26, Podman).</summary>
    public static async Task<IReadOnlyList<string>> FindInSavedImageAsync(string cli, IReadOnlyDictionary<string, string?>? environment, string image, string needle)
    {
        var archive = await Commands.RunForBytesAsync(cli, ["save", image], environment);
        var found = new List<string>();
        Search(new MemoryStream(archive), "image", Encoding.UTF8.GetBytes(needle), found);
        return found;
    }

    private static void Search(Stream tar, string where, byte[] needle, List<string> found)
    {
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name.Contains(Encoding.UTF8.GetString(needle), StringComparison.Ordinal))
            {
                found.Add($"{where}/{entry.Name} (name)");
            }

            if (entry.DataStream is null)
            {
                continue;
            }

            var content = new MemoryStream();
            entry.DataStream.CopyTo(content);
            var bytes = content.ToArray();
            if (IndexOf(bytes, needle) >= 0)
            {
                found.Add($"{where}/{entry.Name}");
            }

            if (bytes.Length > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                var inflated = new MemoryStream();
                gzip.CopyTo(inflated);
                bytes = inflated.ToArray();
                if (IndexOf(bytes, needle) >= 0)
                {
                    found.Add($"{where}/{entry.Name} (gunzipped)");
                }
            }

            if (entry.Name.EndsWith(".tar", StringComparison.Ordinal) || entry.Name.StartsWith("blobs/", StringComparison.Ordinal))
            {
                try
                {
                    Search(new MemoryStream(bytes), $"{where}/{entry.Name}", needle, found);
                }
                catch (InvalidDataException)
                {
                    // A blob that is JSON, not a layer.
                }
                catch (FormatException)
                {
                }
                catch (EndOfStreamException)
                {
                    // A small blob (a JSON document, an in-toto statement) that is no tar.
                }
            }
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    private static async Task CheckReadyAsync()
    {
        var version = await RunAsync("version", "--format", "{{.Server.Version}}");
        Assert.AreEqual(0, version.ExitCode,
            $"No Docker engine answers the client '{Cli}'. Run the tests with eng/test.sh, which starts one (or run eval \"$(eng/setup-engine.sh)\" and export BUILDSECRETS_DOCKER). {version}");
        var image = await RunAsync("image", "inspect", "--format", "{{.Id}}", BaseImage);
        Assert.AreEqual(0, image.ExitCode, $"The base image {BaseImage} is missing: run eng/setup-engine.sh. {image}");
    }
}
