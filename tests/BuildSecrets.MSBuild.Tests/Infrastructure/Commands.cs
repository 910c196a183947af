using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

internal sealed record CommandOutcome(int ExitCode, string Output)
{
    /// <summary>How long the command ran after it was interrupted, when it was.</summary>
    public TimeSpan? RanAfterInterrupt { get; init; }

    public override string ToString() => $"exit code {ExitCode}{Environment.NewLine}{Output}";
}

/// <summary>Runs the real tools the tests need and keeps their output for diagnosis.</summary>
internal static class Commands
{
    /// <summary>MSBuild variables the test host sets that must not leak into a consumer's build.</summary>
    private static readonly string[] HostVariables =
    [
        "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "DOTNET_HOST_PATH",
        "TESTINGPLATFORM_UI_LANGUAGE",
    ];

    public static async Task<CommandOutcome> RunAsync(
        string executable,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? logFile = null,
        TimeSpan? timeout = null,
        Func<string, bool>? interruptWhen = null)
    {
        var output = new StringBuilder();
        using var interrupt = new CancellationTokenSource();
        var interruptedAt = System.Diagnostics.Stopwatch.StartNew();
        var target = PipeTarget.ToDelegate(line =>
        {
            lock (output)
            {
                output.AppendLine(line);
            }

            if (interruptWhen is not null && !interrupt.IsCancellationRequested && interruptWhen(line))
            {
                // Like Ctrl+C: SIGINT to the command.
                interruptedAt.Restart();
                interrupt.Cancel();
            }
        });
        var variables = HostVariables.ToDictionary(v => v, v => (string?)null);
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                variables[name] = value;
            }
        }

        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        var argumentList = arguments.ToArray();
        var command = Cli.Wrap(executable)
            .WithArguments(argumentList)
            .WithWorkingDirectory(workingDirectory ?? Directory.GetCurrentDirectory())
            .WithEnvironmentVariables(variables)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(target)
            .WithStandardErrorPipe(target);
        int exitCode;
        try
        {
            exitCode = (await command.ExecuteAsync(cancellation.Token, interrupt.Token)).ExitCode;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            exitCode = -1;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Killed after the timeout: keep what it printed until then, for diagnosis.
            WriteLog("killed after the timeout");
            throw;
        }

        var text = output.ToString();
        WriteLog($"exit code {exitCode}");
        return new CommandOutcome(exitCode, text) { RanAfterInterrupt = interrupt.IsCancellationRequested ? interruptedAt.Elapsed : null };

        void WriteLog(string end)
        {
            if (logFile is not null)
            {
                lock (output)
                {
                    File.WriteAllText(logFile, $"> {executable} {string.Join(" ", argumentList)}{Environment.NewLine}{output}{end}{Environment.NewLine}");
                }
            }
        }
    }

    public static async Task<byte[]> RunForBytesAsync(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var stdout = new MemoryStream();
        var stderr = new StringBuilder();
        var result = await Cli.Wrap(executable)
            .WithArguments(arguments)
            .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToStream(stdout))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .ExecuteAsync();
        Assert.AreEqual(0, result.ExitCode, $"{executable} {string.Join(" ", arguments)}: {stderr}");
        return stdout.ToArray();
    }
}
