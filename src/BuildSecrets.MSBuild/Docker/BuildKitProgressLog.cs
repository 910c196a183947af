using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.Docker;

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
    private string? _clientError;

    /// <summary>Records one line; returns true when it starts a step (worth showing at low verbosity).</summary>
    public bool Add(string line)
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

            var match = VertexLine.Match(line);
            if (!match.Success)
            {
                return false;
            }

            var vertex = int.Parse(match.Groups[1].Value);
            var rest = match.Groups[2].Value;
            if (rest.StartsWith("[", StringComparison.Ordinal))
            {
                var isNew = !_names.ContainsKey(vertex);
                _names[vertex] = rest;
                return isNew;
            }

            if (rest.StartsWith("ERROR:", StringComparison.Ordinal) || rest.StartsWith("ERROR ", StringComparison.Ordinal))
            {
                _errors.Add((vertex, rest.Substring(6).Trim()));
                return true;
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
            else if (!StatusLine.IsMatch(rest) && _names.ContainsKey(vertex) == false)
            {
                _names[vertex] = rest;
            }

            return false;
        }
    }

    /// <summary>The failing step's name, or a description when no step failed.</summary>
    public string FailedStep
    {
        get
        {
            lock (_gate)
            {
                foreach (var (vertex, _) in _errors)
                {
                    if (_names.TryGetValue(vertex, out var name) && !name.StartsWith("[internal]", StringComparison.Ordinal))
                    {
                        return $"'{name}'";
                    }
                }

                return _errors.Count > 0 && _names.TryGetValue(_errors[0].Vertex, out var first)
                    ? $"'{first}'"
                    : "'(Dockerfile or build setup, before any step ran)'";
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
                var detail = new List<string>();
                var failed = _errors.Count > 0 ? _errors[_errors.Count - 1] : ((int Vertex, string Message)?)null;
                foreach (var (vertex, message) in _errors)
                {
                    if (_names.TryGetValue(vertex, out var name) && !name.StartsWith("[internal]", StringComparison.Ordinal))
                    {
                        failed = (vertex, message);
                        break;
                    }
                }

                if (failed is { } step)
                {
                    detail.Add($" Error: {step.Message}");
                    if (_output.TryGetValue(step.Vertex, out var lines) && lines.Count > 0)
                    {
                        detail.Add(" Output of the step:" + Environment.NewLine + string.Join(Environment.NewLine, lines));
                    }
                }
                else if (_clientError is not null)
                {
                    detail.Add($" Error: {_clientError}");
                }
                else if (_tail.Count > 0)
                {
                    detail.Add(" Last output:" + Environment.NewLine + string.Join(Environment.NewLine, _tail));
                }

                return string.Concat(detail) + (detail.Count > 0 && detail[detail.Count - 1].Contains(Environment.NewLine) ? Environment.NewLine : string.Empty);
            }
        }
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
