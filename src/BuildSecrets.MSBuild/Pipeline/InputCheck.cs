using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Validation;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// Stage 1, validate: checks the request before anything runs and types its secrets. Optional
/// secrets whose source is absent are left out, saying so.
/// </summary>
internal sealed class InputCheck(IBuildLog log, ImageBuildOptions options)
{
    /// <summary>The validated request, or null when an error was reported.</summary>
    public ValidatedRequest? Run(BuildRequest request)
    {
        var userSecrets = new UserSecrets(options.UserSecretsId, options.GetEnvironmentVariable, options.Windows);
        var validated = new BuildRequestValidator(options.GetEnvironmentVariable, userSecrets, options.Windows).Validate(request);
        foreach (var (secret, absence) in validated.LeftOut)
        {
            log.Important("BuildSecrets: the optional DockerSecret '{0}' has no value here ({1}); the build runs without it.", secret.Id, absence);
        }

        // What the NuGet feeds secrets took and left out: source names and URLs, never credentials.
        foreach (var note in validated.Secrets.Select(s => s.Source).OfType<NuGetFeedsSecretSource>().SelectMany(f => f.Result.Notes))
        {
            log.Detail("BuildSecrets: {0}", note);
        }

        return log.ReportAll(validated.Problems) ? null : validated;
    }
}
