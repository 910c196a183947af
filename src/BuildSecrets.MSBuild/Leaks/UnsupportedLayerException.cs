namespace BuildSecrets.MSBuild.Leaks;

/// <summary>A layer of the archive is compressed in a format the scanner cannot read (zstd).</summary>
internal sealed class UnsupportedLayerException : ImageArchiveException
{
    public UnsupportedLayerException(string entry, string compression)
        : base($"the layer '{entry}' is {compression}-compressed, which the scan cannot read")
    {
        Entry = entry;
        Compression = compression;
    }

    /// <summary>The archive entry of the layer (blobs/sha256/...).</summary>
    public string Entry { get; }

    public string Compression { get; }
}
