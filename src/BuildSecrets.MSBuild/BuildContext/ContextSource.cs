namespace BuildSecrets.MSBuild.BuildContext;

/// <summary>
/// What one Dockerfile instruction can take from the build context: a path pattern relative to the
/// context root ('/' separated; '*', '?' and '[...]' match within one path segment, as Go's
/// filepath.Match that BuildKit uses; a folder takes everything under it), or the whole context
/// when the instruction says so (<c>COPY . /app</c>) or cannot be told exactly.
/// </summary>
internal sealed record ContextSource
{
    private ContextSource(string pattern)
    {
        Pattern = pattern;
    }

    /// <summary>Everything the .dockerignore leaves in: what a source that cannot be told takes, so the check never reads less than docker could take.</summary>
    public static ContextSource WholeContext { get; } = new(string.Empty);

    /// <summary>The pattern, cleaned as BuildKit cleans a source ('.' and empty segments dropped, never above the root); empty for the whole context.</summary>
    public string Pattern { get; }

    public bool IsWholeContext => Pattern.Length == 0;

    /// <summary>
    /// A source as the Dockerfile writes it. A segment with '**' (<c>COPY --parents</c> reads it as
    /// any number of folders) takes everything under the segments before it.
    /// </summary>
    public static ContextSource Of(string pattern)
    {
        var segments = DockerIgnoreMatcher.Clean(pattern).Split('/');
        var doubleStar = Array.FindIndex(segments, s => s.Contains("**"));
        return new ContextSource(string.Join("/", doubleStar < 0 ? segments : segments.Take(doubleStar)));
    }

    public override string ToString() => IsWholeContext ? "(whole context)" : Pattern;
}
