using System.Collections;
using Microsoft.Build.Framework;

namespace BuildSecrets.MSBuild.Tests.Infrastructure;

/// <summary>A build engine that records what a task logs, and when it yields the node.</summary>
internal sealed class MockEngine : IBuildEngine3
{
    private volatile bool _yielded;

    public int Yields { get; private set; }

    public int Reacquires { get; private set; }

    /// <summary>The messages logged while the task had yielded the node.</summary>
    public List<string> MessagesWhileYielded { get; } = [];

    public List<BuildErrorEventArgs> Errors { get; } = [];

    public List<BuildWarningEventArgs> Warnings { get; } = [];

    public List<BuildMessageEventArgs> Messages { get; } = [];

    public bool ContinueOnError => false;

    public int LineNumberOfTaskNode => 0;

    public int ColumnNumberOfTaskNode => 0;

    public string ProjectFileOfTaskNode => "/project/Consumer.csproj";

    /// <summary>Everything logged, one entry a line, as a text to search.</summary>
    public string Log => string.Join(
        Environment.NewLine,
        Errors.Select(e => $"error {e.Code}: {e.Message}")
            .Concat(Warnings.Select(w => $"warning {w.Code}: {w.Message}"))
            .Concat(Messages.Select(m => m.Message)));

    public bool IsRunningMultipleNodes => false;

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
        throw new NotSupportedException();

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) =>
        throw new NotSupportedException();

    public bool BuildProjectFilesInParallel(
        string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) =>
        throw new NotSupportedException();

    public BuildEngineResult BuildProjectFilesInParallel(
        string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) =>
        throw new NotSupportedException();

    public void Yield()
    {
        Assert.IsFalse(_yielded, "Yield was called twice without Reacquire");
        _yielded = true;
        Yields++;
    }

    public void Reacquire()
    {
        Assert.IsTrue(_yielded, "Reacquire was called without Yield");
        _yielded = false;
        Reacquires++;
    }

    public void LogCustomEvent(CustomBuildEventArgs e)
    {
    }

    public void LogErrorEvent(BuildErrorEventArgs e)
    {
        lock (Errors)
        {
            Errors.Add(e);
        }
    }

    public void LogMessageEvent(BuildMessageEventArgs e)
    {
        lock (Messages)
        {
            Messages.Add(e);
            if (_yielded)
            {
                MessagesWhileYielded.Add(e.Message ?? string.Empty);
            }
        }
    }

    public void LogWarningEvent(BuildWarningEventArgs e)
    {
        lock (Warnings)
        {
            Warnings.Add(e);
        }
    }
}
