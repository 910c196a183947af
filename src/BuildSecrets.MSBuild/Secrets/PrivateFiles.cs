using System.IO;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>
/// The one place the package writes files that hold secret material: each file 0600 inside a 0700
/// folder (on Unix; on Windows the user's profile and temp folders are already private).
/// </summary>
internal static class PrivateFiles
{
    /// <summary>Creates the folder (and its parents) if needed and makes it 0700.</summary>
    public static void CreateFolder(string folder)
    {
#if NET
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return;
        }
#endif
        Directory.CreateDirectory(folder);
    }

    /// <summary>Writes a 0600 file; replaces an existing one only when <paramref name="replace"/> is true.</summary>
    public static void Write(string path, byte[] content, bool replace)
    {
#if NET
        if (!OperatingSystem.IsWindows())
        {
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = replace ? FileMode.Create : FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            stream.Write(content, 0, content.Length);
            return;
        }
#endif
        using var file = new FileStream(path, replace ? FileMode.Create : FileMode.CreateNew, FileAccess.Write);
        file.Write(content, 0, content.Length);
    }
}

/// <summary>
/// A private folder under the temp folder for values a client can only read from files (Podman),
/// removed when disposed, which the pipeline does on success, failure and cancellation alike.
/// </summary>
internal sealed class TemporarySecretFolder : IDisposable
{
    private TemporarySecretFolder(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public static TemporarySecretFolder Create()
    {
        var folder = new TemporarySecretFolder(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "buildsecrets-" + Guid.NewGuid().ToString("N")));
        PrivateFiles.CreateFolder(folder.Path);
        return folder;
    }

    /// <summary>Writes one secret's value to a 0600 file named after its id; returns the file's path.</summary>
    public string Write(string id, byte[] value)
    {
        var path = System.IO.Path.Combine(Path, id);
        PrivateFiles.Write(path, value, replace: false);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
