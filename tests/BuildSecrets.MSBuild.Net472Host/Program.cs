using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSecrets.MSBuild.Net472Host;

/// <summary>
/// Runs one task of a task assembly as MSBuild would: loads the assembly from its path (the
/// load-from context), creates the task, sets its parameters, calls Execute and prints what it
/// logged and returned.
/// </summary>
/// <remarks>
/// Usage: <c>host &lt;task assembly&gt; &lt;task type&gt; [Name=value]... [Name+=spec|metadata=value|...]...</c>.
/// <c>Name=value</c> sets a string or bool parameter, or a string[] one (split at ';');
/// <c>Name+=...</c> adds an item to an ITaskItem[] parameter. Exit code 0 when Execute returned true.
/// </remarks>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: host <task assembly> <task type> [Name=value]... [Name+=spec|metadata=value]...");
            return 2;
        }

        var assembly = Assembly.LoadFrom(args[0]);
        var type = assembly.GetType(args[1], throwOnError: true)!;
        var resolver = assembly.GetType("BuildSecrets.MSBuild.Tasks.TaskAssemblyResolver", throwOnError: true)!
            .GetProperty("IsRegistered", BindingFlags.NonPublic | BindingFlags.Static)!;
        var task = (ITask)Activator.CreateInstance(type)!;
        Console.WriteLine($"host: resolver registered: {resolver.GetValue(null)}");
        task.BuildEngine = new ConsoleEngine();

        var items = new Dictionary<string, List<ITaskItem>>(StringComparer.Ordinal);
        foreach (var argument in args.Skip(2))
        {
            var add = argument.IndexOf("+=", StringComparison.Ordinal);
            var set = argument.IndexOf('=');
            if (add > 0 && add < set + 1)
            {
                var name = argument.Substring(0, add);
                var parts = argument.Substring(add + 2).Split('|');
                var metadata = parts.Skip(1).Select(p => p.Split(new[] { '=' }, 2)).ToDictionary(p => p[0], p => p[1]);
                if (!items.TryGetValue(name, out var list))
                {
                    items[name] = list = new List<ITaskItem>();
                }

                list.Add(new TaskItem(parts[0], metadata));
            }
            else
            {
                SetParameter(task, argument.Substring(0, set), argument.Substring(set + 1));
            }
        }

        foreach (var pair in items)
        {
            Property(task, pair.Key).SetValue(task, pair.Value.ToArray());
        }

        var result = task.Execute();
        foreach (var output in type.GetProperties().Where(p => p.GetCustomAttribute<OutputAttribute>() is not null))
        {
            var value = output.GetValue(task);
            var text = value is ITaskItem[] outputItems ? string.Join(";", outputItems.Select(i => i.ItemSpec)) : value?.ToString();
            Console.WriteLine($"output {output.Name}={text}");
        }

        Console.WriteLine($"host: Execute returned {result}");
        return result ? 0 : 1;
    }

    private static void SetParameter(ITask task, string name, string value)
    {
        var property = Property(task, name);
        object converted = property.PropertyType == typeof(bool) ? bool.Parse(value)
            : property.PropertyType == typeof(string[]) ? value.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries)
            : value;
        property.SetValue(task, converted);
    }

    private static PropertyInfo Property(ITask task, string name) =>
        task.GetType().GetProperty(name) ?? throw new ArgumentException($"The task has no parameter '{name}'.");

    /// <summary>Writes every event as MSBuild's console logger would, one line each.</summary>
    private sealed class ConsoleEngine : IBuildEngine3
    {
        public bool ContinueOnError => false;

        public int LineNumberOfTaskNode => 0;

        public int ColumnNumberOfTaskNode => 0;

        public string ProjectFileOfTaskNode => "Host.proj";

        public bool IsRunningMultipleNodes => false;

        public void LogErrorEvent(BuildErrorEventArgs e) => Console.WriteLine($"{e.File}({e.LineNumber},{e.ColumnNumber}): error {e.Code}: {e.Message}");

        public void LogWarningEvent(BuildWarningEventArgs e) => Console.WriteLine($"{e.File}({e.LineNumber},{e.ColumnNumber}): warning {e.Code}: {e.Message}");

        public void LogMessageEvent(BuildMessageEventArgs e) => Console.WriteLine(e.Message);

        public void LogCustomEvent(CustomBuildEventArgs e) => Console.WriteLine(e.Message);

        public void Yield()
        {
        }

        public void Reacquire()
        {
        }

        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
            throw new NotSupportedException();

        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) =>
            throw new NotSupportedException();

        public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) =>
            throw new NotSupportedException();

        public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) =>
            throw new NotSupportedException();
    }
}
