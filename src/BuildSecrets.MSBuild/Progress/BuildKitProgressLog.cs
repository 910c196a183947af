using System.Globalization;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.Progress;

/// <summary>What a line of build output is, to the log: a step starting or failing (shown at minimal verbosity), or the rest.</summary>
internal enum ProgressLineKind
{
    Other,

    /// <summary>The first line of a step: BuildKit's <c>#N [stage n/m] INSTRUCTION</c>, Podman's <c>STEP n/m: INSTRUCTION</c>.</summary>
    StepStart,

    /// <summary>A step's error: BuildKit's <c>#N ERROR: ...</c>.</summary>
    StepError,
}

/// <summary>
/// Follows BuildKit's plain progress output line by line and remembers enough to explain a failure:
/// the name of each step, the last lines each step printed, the steps that failed, and the client's
/// closing error line.
/// </summary>
internal sealed class BuildKitProgressLog
{
    private const int LinesKeptPerStep = 15;

    private static readonly Regex VertexLine = new(@"^#(\d+) (.*)$", RegexOptions.CultureInvariant);
    private static readonly Regex OutputLine = new(@"^\d+\.\d+ (.*)$", RegexOptions.CultureInvariant);
    private static readonly Regex StatusLine = new(@"^(DONE|CACHED|CANCELED|sha256:|extracting|resolve|transferring|writing|naming|exporting)", RegexOptions.CultureInvariant);

    private readonly object _gate = new();
    private readonly Dictionary<int, string> _names = new();
    private readonly Dictionary<int, Queue<string>> _output = new();
    private readonly List<(int Vertex, string Message)> _errors = new();
    private readonly Queue<string> _tail = new();
    private readonly HashSet<int> _cached = [];
    private string? _clientError;
    private string? _podmanStep;

    private static readonly Regex PodmanStep = new(@"^STEP \d+/\d+: (.*)$", RegexOptions.CultureInvariant);

    /// <summary>Records one line and says what it is: the one definition of a step start.</summary>
    public ProgressLineKind Add(string line)
    {
        lock (_gate)
        {
            Remember(_tail, line, 30);
            var trimmed = line.Trim();
            if (trimmed.StartsWith("error:", StringComparison.OrdinalIgnoreCase)
                || trimmed.StartsWith("ERROR: failed to", StringComparison.Ordinal)
                || trimmed.StartsWith("failed to solve", StringComparison.Ordinal))
            {
                _clientError = trimmed;
            }

            var podmanStep = PodmanStep.Match(trimmed);
            if (podmanStep.Success)
            {
                _podmanStep = podmanStep.Groups[1].Value;
                return ProgressLineKind.StepStart;
            }

            var match = VertexLine.Match(line);
            if (!match.Success)
            {
                return ProgressLineKind.Other;
            }

            var vertex = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var rest = match.Groups[2].Value;
            if (rest.StartsWith("[", StringComparison.Ordinal))
            {
                var isNew = !_names.ContainsKey(vertex);
                _names[vertex] = rest;
                return isNew ? ProgressLineKind.StepStart : ProgressLineKind.Other;
            }

            if (rest.StartsWith("ERROR:", StringComparison.Ordinal) || rest.StartsWith("ERROR ", StringComparison.Ordinal))
            {
                _errors.Add((vertex, rest.Substring(6).Trim()));
                return ProgressLineKind.StepError;
            }

            var output = OutputLine.Match(rest);
            if (output.Success)
            {
                if (!_output.TryGetValue(vertex, out var lines))
                {
                    _output[vertex] = lines = new Queue<string>();
                }

                Remember(lines, output.Groups[1].Value, LinesKeptPerStep);
            }
            else if (rest.StartsWith("CACHED", StringComparison.Ordinal))
            {
                _cached.Add(vertex);
            }
            else if (!StatusLine.IsMatch(rest) && !_names.ContainsKey(vertex))
            {
                _names[vertex] = rest;
            }

            return ProgressLineKind.Other;
        }
    }

    /// <summary>The steps BuildKit took from its cache instead of running them (<c>#N CACHED</c>).</summary>
    public IReadOnlyList<string> CachedSteps
    {
        get
        {
            lock (_gate)
            {
                return _cached.Where(_names.ContainsKey).OrderBy(v => v).Select(v => _names[v]).ToArray();
            }
        }
    }

    /// <summary>The name of the step a progress line belongs to, as far as known.</summary>
    public string StepOf(string line)
    {
        lock (_gate)
        {
            var match = VertexLine.Match(line);
            return match.Success && _names.TryGetValue(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), out var name) ? name : "(build output)";
        }
    }

    /// <summary>The failing step's name, or a description when no step failed.</summary>
    public string FailedStep
    {
        get
        {
            lock (_gate)
            {
                return FindFailure() is { } failure && _names.TryGetValue(failure.Vertex, out var name)
                    ? $"'{name}'"
                    : _podmanStep is not null ? $"'{_podmanStep}'" : "'(Dockerfile or build setup, before any step ran)'";
            }
        }
    }

    /// <summary>The error and the failing step's last output lines, ready to quote in the coded error.</summary>
    public string FailureDetail
    {
        get
        {
            lock (_gate)
            {
                if (FindFailure() is { } failure)
                {
                    var detail = $" Error: {failure.Message}";
                    return _output.TryGetValue(failure.Vertex, out var lines) && lines.Count > 0
                        ? detail + " Output of the step:" + Environment.NewLine + string.Join(Environment.NewLine, lines) + Environment.NewLine
                        : detail;
                }

                if (_clientError is not null)
                {
                    return $" Error: {_clientError}";
                }

                return _tail.Count > 0 ? " Last output:" + Environment.NewLine + string.Join(Environment.NewLine, _tail) + Environment.NewLine : string.Empty;
            }
        }
    }

    /// <summary>The first error of a Dockerfile step, else the first error of any vertex.</summary>
    private (int Vertex, string Message)? FindFailure()
    {
        foreach (var error in _errors)
        {
            if (_names.TryGetValue(error.Vertex, out var name) && !name.StartsWith("[internal]", StringComparison.Ordinal))
            {
                return error;
            }
        }

        return _errors.Count > 0 ? _errors[0] : null;
    }

    private static void Remember(Queue<string> queue, string line, int limit)
    {
        queue.Enqueue(line);
        while (queue.Count > limit)
        {
            queue.Dequeue();
        }
    }
}
