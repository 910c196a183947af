using System.IO;
using BuildSecrets.MSBuild.Diagnostics;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>
/// Where a declared secret's value comes from. A closed set: a file, a variable of the build's
/// environment, a key of the project's user secrets, or a value written in the project. Each
/// source says whether it can be used, reads its value, and tells the engine where the value
/// already is (a file or a variable), when it is somewhere the client can read it itself.
/// </summary>
internal abstract class SecretSource
{
    private protected SecretSource()
    {
    }

    /// <summary>A file the client can read the value from (<c>src=</c>); null when the value is not in a file.</summary>
    public virtual string? File => null;

    /// <summary>A variable of the build's own environment that holds the value (<c>env=</c>); null when there is none.</summary>
    public virtual string? BuildVariable => null;

    /// <summary>Whether the value is simply not there (a missing file, an unset variable), which an optional secret may be.</summary>
    public abstract bool IsAbsent { get; }

    /// <summary>What is absent, for the message that an optional secret was left out.</summary>
    public abstract string Absence { get; }

    /// <summary>The coded problems that keep the secret from being used, and warnings about it; empty when it is fine.</summary>
    public abstract IEnumerable<Diagnostic> Check(string id);

    /// <summary>The value's bytes; null or empty when absent. Held in memory only.</summary>
    public abstract byte[]? Read();

    /// <summary>Never prints a value.</summary>
    public override string ToString() => GetType().Name;

    /// <summary>A single finding, or none, as <see cref="Check"/> returns it.</summary>
    private protected static IEnumerable<Diagnostic> One(Diagnostic? diagnostic) => diagnostic is null ? [] : [diagnostic];

    /// <summary>Text values are handed on and searched as their UTF-8 bytes.</summary>
    private protected static byte[]? Utf8(string? value) => value is null ? null : System.Text.Encoding.UTF8.GetBytes(value);
}

/// <summary>A file on the build machine (Source metadata, a full path).</summary>
internal sealed class FileSecretSource(string path) : SecretSource
{
    public string Path { get; } = path;

    public override string? File => Path;

    public override bool IsAbsent => !System.IO.File.Exists(Path);

    public override string Absence => $"the file '{Path}' does not exist";

    public override IEnumerable<Diagnostic> Check(string id) => One(Problem(id));

    private Diagnostic? Problem(string id)
    {
        if (Directory.Exists(Path))
        {
            return Messages.SecretFileUnreadable(id, Path, "it is a folder, not a file");
        }

        if (!System.IO.File.Exists(Path))
        {
            return Messages.SecretFileMissing(id, Path);
        }

        try
        {
            // Opening proves the file is readable; nothing is read from it.
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return Messages.SecretFileUnreadable(id, Path, exception.GetType().Name);
        }
    }

    public override byte[]? Read() => System.IO.File.Exists(Path) ? System.IO.File.ReadAllBytes(Path) : null;
}

/// <summary>A variable of the build's environment (EnvironmentVariable metadata); docker reads it from its own environment.</summary>
internal sealed class EnvironmentSecretSource(string variable, Func<string, string?> getEnvironmentVariable) : SecretSource
{
    public string Variable { get; } = variable;

    public override string? BuildVariable => Variable;

    // Only emptiness is looked at here; the value goes no further than this comparison.
    public override bool IsAbsent => string.IsNullOrEmpty(getEnvironmentVariable(Variable));

    public override string Absence => $"the environment variable '{Variable}' is not set";

    public override IEnumerable<Diagnostic> Check(string id) => One(IsAbsent ? Messages.SecretVariableUnset(id, Variable) : null);

    public override byte[]? Read() => Utf8(getEnvironmentVariable(Variable));
}

/// <summary>A key of the project's .NET user secrets (UserSecret metadata).</summary>
internal sealed class UserSecretSource(string id, string key, UserSecrets userSecrets) : SecretSource
{
    public string Key { get; } = key;

    public override bool IsAbsent => userSecrets.Lookup(id, Key).Absent;

    public override string Absence => $"the user secret '{Key}' is not set";

    public override IEnumerable<Diagnostic> Check(string id) => One(userSecrets.Lookup(id, Key).Problem);

    public override byte[]? Read() => Utf8(userSecrets.Lookup(id, Key).Value);
}

/// <summary>A value written in the project (Value metadata, usually from a property).</summary>
internal sealed class ValueSecretSource(string value) : SecretSource
{
    public override bool IsAbsent => value.Length == 0;

    public override string Absence => "its Value is empty";

    public override IEnumerable<Diagnostic> Check(string id) => One(value.Length == 0 ? Messages.SecretValueEmpty(id) : Messages.SecretValueInProject(id));

    public override byte[]? Read() => Utf8(value);
}

/// <summary>
/// NuGetFeeds="true": a NuGet.Config made at build time, in memory only, from the project's
/// effective package sources with this machine's credentials for them (<see cref="NuGetFeedsConfig"/>).
/// </summary>
internal sealed class NuGetFeedsSecretSource(string id, string projectDirectory, IReadOnlyList<string> authenticatedFeeds, Func<string, string?> getEnvironmentVariable, bool windows) : SecretSource
{
    private NuGetFeedsResult? _result;

    /// <summary>What was made: the file, the credentials in it, the problems, and notes (source names and URLs only).</summary>
    public NuGetFeedsResult Result => _result ??= NuGetFeedsConfig.Create(id, projectDirectory, authenticatedFeeds, getEnvironmentVariable, windows);

    public override bool IsAbsent => false;

    public override string Absence => "no NuGet configuration could be made";

    public override IEnumerable<Diagnostic> Check(string id) => Result.Problems;

    public override byte[]? Read() => Utf8(Result.ConfigXml);
}

/// <summary>A checked DockerSecret: its id, where its value comes from, and whether it rotates.</summary>
internal sealed record DeclaredSecret(string Id, SecretSource Source, bool Rotate = false)
{
    public override string ToString() => $"DockerSecret '{Id}'";
}
