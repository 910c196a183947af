using System.Reflection;
using BuildSecrets.MSBuild.Tasks;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>Which shipped file the .NET Framework resolver answers a failed bind with.</summary>
[TestClass]
public sealed class TaskAssemblyResolverTests
{
    private const string Token = "cc7b13ffcd2ddd51";

    private static readonly ShippedAssembly[] Shipped =
    [
        Ship("System.Memory", "4.0.5.0"),
        Ship("Microsoft.Bcl.AsyncInterfaces", "10.0.0.8"),
        Ship("CliWrap", "3.10.5.0", "337a390ad141274e"),
    ];

    private static ShippedAssembly Ship(string name, string version, string token = Token) =>
        new($"/tasks/net472/{name}.dll", new AssemblyName($"{name}, Version={version}, Culture=neutral, PublicKeyToken={token}"));

    [TestMethod]
    [DataRow("System.Memory, Version=4.0.2.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51", "/tasks/net472/System.Memory.dll")]
    [DataRow("System.Memory, Version=4.0.5.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51", "/tasks/net472/System.Memory.dll")]
    [DataRow("system.memory, Version=4.0.1.2, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51", "/tasks/net472/System.Memory.dll")]
    [DataRow("Microsoft.Bcl.AsyncInterfaces, Version=10.0.0.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51", "/tasks/net472/Microsoft.Bcl.AsyncInterfaces.dll")]
    [DataRow("System.Memory", "/tasks/net472/System.Memory.dll")]
    public void A_request_for_the_shipped_version_or_an_earlier_one_gets_the_shipped_file(string requested, string expected) =>
        Assert.AreEqual(expected, TaskAssemblyResolver.Choose(new AssemblyName(requested), Shipped));

    [TestMethod]
    [DataRow("System.Memory, Version=4.0.6.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51")]
    [DataRow("System.Memory, Version=4.0.2.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a")]
    [DataRow("System.Memory, Version=4.0.2.0, Culture=neutral, PublicKeyToken=null")]
    [DataRow("System.Memory, Version=4.0.2.0, Culture=de, PublicKeyToken=cc7b13ffcd2ddd51")]
    [DataRow("System.Text.Json, Version=8.0.0.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51")]
    public void A_later_version_another_key_culture_or_name_is_left_to_the_runtime(string requested) =>
        Assert.IsNull(TaskAssemblyResolver.Choose(new AssemblyName(requested), Shipped));

    [TestMethod]
    public void Of_two_copies_the_later_version_is_chosen()
    {
        var shipped = new[] { Ship("System.Buffers", "4.0.3.0"), new ShippedAssembly("/other/System.Buffers.dll", new AssemblyName($"System.Buffers, Version=4.0.5.0, Culture=neutral, PublicKeyToken={Token}")) };

        Assert.AreEqual("/other/System.Buffers.dll", TaskAssemblyResolver.Choose(new AssemblyName($"System.Buffers, Version=4.0.2.0, Culture=neutral, PublicKeyToken={Token}"), shipped));
    }

    [TestMethod]
    public void On_dotnet_nothing_is_registered_because_MSBuild_loads_tasks_in_their_own_load_context() =>
        Assert.IsFalse(TaskAssemblyResolver.IsRegistered);

    [TestMethod]
    public void The_public_surface_MSBuild_reflects_on_before_any_task_code_runs_uses_only_MSBuild_and_the_BCL()
    {
        // MSBuild lists the exported types and reads their public properties before the module
        // initializer has necessarily run: none of them may need CliWrap or its dependencies.
        var allowed = new[] { "System.Private.CoreLib", "System.Runtime", "Microsoft.Build.Framework", "Microsoft.Build.Utilities.Core", "BuildSecrets.MSBuild" };
        var exported = typeof(BuildDockerImage).Assembly.GetExportedTypes();
        var touched = exported
            .SelectMany(t => Ancestry(t).Concat(t.GetInterfaces()).Concat(t.GetProperties().Select(p => p.PropertyType)))
            .Select(t => $"{t.FullName} ({t.Assembly.GetName().Name})")
            .Where(t => !allowed.Any(a => t.EndsWith($"({a})", StringComparison.Ordinal)))
            .Distinct()
            .ToArray();

        CollectionAssert.AreEquivalent(new[] { typeof(BuildDockerImage), typeof(RefuseSdkContainerPublish) }, exported, "the tasks the targets use, and nothing else");
        CollectionAssert.AreEqual(Array.Empty<string>(), touched, string.Join(Environment.NewLine, touched));
    }

    private static IEnumerable<Type> Ancestry(Type type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            yield return current;
        }
    }
}
