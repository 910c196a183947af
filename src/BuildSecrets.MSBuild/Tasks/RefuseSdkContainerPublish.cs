using System.Linq;
using BuildSecrets.MSBuild.Diagnostics;
using Microsoft.Build.Framework;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace BuildSecrets.MSBuild.Tasks;

/// <summary>
/// Stops a publish in which the .NET SDK's container support (PublishContainer) would write its
/// own, unscanned image under the name this package builds and scans. Run by the targets just
/// before PublishContainer, and before the image build when the publish profile is a container one.
/// </summary>
public sealed class RefuseSdkContainerPublish : MSBuildTask
{
    /// <summary>ContainerRepository.</summary>
    [Required]
    public string Repository { get; set; } = string.Empty;

    /// <summary>ContainerImageTags.</summary>
    public string[] Tags { get; set; } = [];

    /// <summary>ContainerRegistry, when set.</summary>
    public string? Registry { get; set; }

    /// <summary>The project file, named by the error.</summary>
    public string? ProjectFile { get; set; }

    public override bool Execute()
    {
        var repository = string.IsNullOrWhiteSpace(Registry) ? Repository.Trim() : Registry!.Trim().TrimEnd('/') + "/" + Repository.Trim();
        var images = Tags.Select(t => t.Trim()).Where(t => t.Length > 0).DefaultIfEmpty("latest").Select(t => repository + ":" + t);
        var diagnostic = Messages.SdkContainerPublishConflict(string.Join("', '", images));
        Log.LogError(null, diagnostic.Code, null, string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode : ProjectFile, 0, 0, 0, 0, diagnostic.Message);
        return false;
    }
}
