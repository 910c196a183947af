using System.Globalization;
using BuildSecrets.MSBuild.Diagnostics;

namespace BuildSecrets.MSBuild.Docker;

/// <summary>How the client is asked for a BuildKit build.</summary>
internal enum BuildMode
{
    /// <summary><c>docker buildx build --load</c>.</summary>
    Buildx,

    /// <summary><c>docker build</c> with <c>DOCKER_BUILDKIT=1</c>: clients 18.09 to 22.x carry BuildKit themselves.</summary>
    ClassicBuildKit,

    /// <summary><c>podman build</c> (Buildah): secret mounts without BuildKit, no daemon.</summary>
    Podman,
}

/// <summary>What <c>docker version</c> and <c>docker buildx version</c> told about a client.</summary>
internal sealed record DockerClientInfo(string ClientVersion, string? ServerVersion, bool HasBuildx)
{
    /// <summary>What 'docker buildx version' printed, when buildx is there.</summary>
    public string? BuildxVersion { get; init; }

    /// <summary>The client is Podman (podman itself, or docker as its alias).</summary>
    public bool IsPodman { get; init; }

    /// <summary>Picks the build mode, or throws the coded error for a client that cannot build with secrets.</summary>
    public BuildMode ChooseMode(string cli)
    {
        if (IsPodman)
        {
            return BuildMode.Podman;
        }

        if (HasBuildx)
        {
            return BuildMode.Buildx;
        }

        if (!TryParseMajorMinor(ClientVersion, out var major, out var minor))
        {
            throw new BuildSecretsException(Messages.ClientWithoutBuildKit(cli, ClientVersion));
        }

        if (major >= 23)
        {
            throw new BuildSecretsException(Messages.BuildxMissing(cli, ClientVersion));
        }

        if (major > 18 || (major == 18 && minor >= 9))
        {
            return BuildMode.ClassicBuildKit;
        }

        throw new BuildSecretsException(Messages.ClientWithoutBuildKit(cli, ClientVersion));
    }

    internal static bool TryParseMajorMinor(string version, out int major, out int minor)
    {
        major = minor = 0;
        var parts = version.Trim().Split('.');
        return parts.Length >= 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out major)
            && int.TryParse(LeadingDigits(parts[1]), NumberStyles.None, CultureInfo.InvariantCulture, out minor);
    }

    private static string LeadingDigits(string text)
    {
        var end = 0;
        while (end < text.Length && char.IsDigit(text[end]))
        {
            end++;
        }

        return text.Substring(0, end);
    }
}
