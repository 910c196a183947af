using System;

namespace BuildSecrets.MSBuild.Scanning;

/// <summary>
/// The archive <c>docker save</c> wrote cannot be read: a bad tar header, a truncated entry, a missing
/// or unreadable manifest or config. The message names what is malformed and never quotes content of
/// the image (which could hold a secret).
/// </summary>
internal sealed class ImageArchiveException : Exception
{
    public ImageArchiveException(string message)
        : base(message)
    {
    }

    public ImageArchiveException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
