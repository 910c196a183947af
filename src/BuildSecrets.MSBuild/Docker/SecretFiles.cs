using System;
using System.IO;

namespace BuildSecrets.MSBuild.Docker;

/// <summary>
/// For clients that cannot read a secret from their environment (Podman): each value in a 0600 file
/// inside a 0700 folder under the temp folder, removed when disposed, which the task does on
/// success, failure and cancellation alike.
/// </summary>
internal sealed class SecretFiles : IDisposable
{
    private SecretFiles(string folder)
    {
        Folder = folder;
    }

    public string Folder { get; }

    public static SecretFiles Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "buildsecrets-" + Guid.NewGuid().ToString("N"));
#if NET
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return new SecretFiles(folder);
        }
#endif
        Directory.CreateDirectory(folder);
        return new SecretFiles(folder);
    }

    /// <summary>Writes one value; returns the file's path.</summary>
    public string Write(string id, string value)
    {
        var path = Path.Combine(Folder, id);
#if NET
        if (!OperatingSystem.IsWindows())
        {
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            var bytes = System.Text.Encoding.UTF8.GetBytes(value);
            stream.Write(bytes, 0, bytes.Length);
            return path;
        }
#endif
        File.WriteAllText(path, value);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
