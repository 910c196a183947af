using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;

namespace BuildSecrets.MSBuild.Tasks;

/// <summary>
/// Lets the task's own dependencies load in Visual Studio's MSBuild (.NET Framework).
/// </summary>
/// <remarks>
/// MSBuild.exe.config redirects System.Memory, Microsoft.Bcl.AsyncInterfaces and others to the copies
/// in MSBuild's Bin folder (<c>0.0.0.0-X</c> to <c>X</c>). CliWrap references newer versions: the
/// binder finds MSBuild's older file first and fails (FileLoadException 0x80131040). .NET Framework
/// then raises <see cref="AppDomain.AssemblyResolve"/> (it does for a version mismatch as for a
/// missing file), and this handler answers with the copy shipped beside the task, when that copy is
/// the same assembly (name, culture, public key token) at the requested version or later.
/// It answers only for files of the task's own folder, and only after normal binding has failed.
/// The handler is registered by the module initializer, so before any code of this assembly runs,
/// and therefore before any method that uses CliWrap is compiled. What MSBuild reflects on before
/// that (the public task types, their base types, interfaces and properties) uses only MSBuild and
/// the BCL, and a unit test keeps it so. On .NET, MSBuild loads each task assembly in its own load
/// context, which already resolves from the task's folder.
/// </remarks>
internal static class TaskAssemblyResolver
{
#if NETFRAMEWORK
    private static int _registered;
    private static readonly Lazy<IReadOnlyList<ShippedAssembly>> Shipped = new(() => ReadFolder(TaskFolder), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Dictionary<string, Assembly> Loaded = new(StringComparer.OrdinalIgnoreCase);

    private static string TaskFolder => Path.GetDirectoryName(typeof(TaskAssemblyResolver).Assembly.Location) ?? string.Empty;
#endif

    /// <summary>Whether the handler is registered in this process (only ever on .NET Framework).</summary>
#if NETFRAMEWORK
    internal static bool IsRegistered => Volatile.Read(ref _registered) == 1;
#else
    internal static bool IsRegistered => false;
#endif

#pragma warning disable CA2255 // A task assembly that brings its own dependencies is the case module initializers exist for.
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
#if NETFRAMEWORK
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            AppDomain.CurrentDomain.AssemblyResolve += OnAssemblyResolve;
        }
#endif
    }

    /// <summary>The identities of the assemblies in <paramref name="folder"/>, read without loading them.</summary>
    internal static IReadOnlyList<ShippedAssembly> ReadFolder(string folder)
    {
        var shipped = new List<ShippedAssembly>();
        if (!Directory.Exists(folder))
        {
            return shipped;
        }

        foreach (var path in Directory.GetFiles(folder, "*.dll"))
        {
            try
            {
                shipped.Add(new ShippedAssembly(path, AssemblyName.GetAssemblyName(path)));
            }
            catch (BadImageFormatException)
            {
                // Not a managed assembly: nothing to resolve to.
            }
        }

        return shipped;
    }

    /// <summary>
    /// The shipped file that satisfies <paramref name="requested"/>: same name, culture and public key
    /// token, and a version at least the requested one (the highest such). Null when none does.
    /// A version or token the request leaves out matches any.
    /// </summary>
    internal static string? Choose(AssemblyName requested, IEnumerable<ShippedAssembly> shipped) =>
        shipped
            .Where(s => string.Equals(s.Name.Name, requested.Name, StringComparison.OrdinalIgnoreCase)
                && SameCulture(s.Name, requested)
                && SameToken(s.Name, requested)
                && (requested.Version is null || (s.Name.Version is { } version && version >= requested.Version)))
            .OrderByDescending(s => s.Name.Version)
            .Select(s => s.Path)
            .FirstOrDefault();

    private static bool SameCulture(AssemblyName a, AssemblyName b) =>
        string.Equals(Neutral(a.CultureName), Neutral(b.CultureName), StringComparison.OrdinalIgnoreCase);

    private static string Neutral(string? culture) => string.IsNullOrEmpty(culture) || culture == "neutral" ? string.Empty : culture!;

    // A request that names no token at all (a partial name) accepts any; "PublicKeyToken=null" asks for none.
    private static bool SameToken(AssemblyName shipped, AssemblyName requested) =>
        requested.GetPublicKeyToken() is not { } token || (shipped.GetPublicKeyToken() ?? []).SequenceEqual(token);

#if NETFRAMEWORK
    private static Assembly? OnAssemblyResolve(object? sender, ResolveEventArgs args)
    {
        AssemblyName requested;
        try
        {
            requested = new AssemblyName(args.Name);
        }
        catch (Exception exception) when (exception is ArgumentException or FileLoadException)
        {
            return null;
        }

        var path = Choose(requested, Shipped.Value);
        if (path is null)
        {
            return null;
        }

        lock (Loaded)
        {
            if (Loaded.TryGetValue(path, out var assembly))
            {
                return assembly;
            }

            if (_loading is not null)
            {
                // Loading the file asked for it again: leave that inner request to the runtime.
                return null;
            }

            _loading = path;
            try
            {
                assembly = Load(path);
            }
            finally
            {
                _loading = null;
            }

            Loaded[path] = assembly;
            return assembly;
        }
    }

    [ThreadStatic]
    private static string? _loading;

    private static Assembly Load(string path)
    {
        try
        {
            // The load-from context, as MSBuild loads the task itself: the shipped file is then one
            // assembly, whether reached through this handler or by probing beside the task.
            return Assembly.UnsafeLoadFrom(path);
        }
        catch (FileLoadException)
        {
            // Should the load-from bind still prefer MSBuild's copy of that name: the file itself.
            return Assembly.LoadFile(path);
        }
    }
#endif
}

/// <summary>An assembly file shipped beside the task, with its identity.</summary>
internal sealed record ShippedAssembly(string Path, AssemblyName Name);
