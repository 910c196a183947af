using System.IO;
using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// Stage 3, check before the build: refuses what would leak (a secret file or a copy of a value in
/// the context, a value in a build argument or in the Dockerfile) and reads what the Dockerfile
/// says of the declared secrets.
/// </summary>
internal sealed class LeakPrevention(IBuildLog log)
{
    /// <summary>The parsed Dockerfile, or null when an error was reported.</summary>
    public ParsedDockerfile? Run(BuildRequest request, IReadOnlyList<DeclaredSecret> secrets, IReadOnlyDictionary<string, byte[]> values)
    {
        var dockerfile = Read(request.Dockerfile);
        var ignore = DockerIgnoreMatcher.Load(request.Context, request.Dockerfile);
        var searchable = values.Select(v => SearchableSecret.Of(v.Key, v.Value)).ToArray();
        var problems = LeakPrecheck.Check(request, secrets, searchable, ignore)
            .Concat(LeakPrecheck.CheckDockerfile(dockerfile, request.Dockerfile, secrets));
        return log.ReportAll(problems) ? null : dockerfile;
    }

    private static ParsedDockerfile Read(string path)
    {
        try
        {
            return DockerfileReader.Parse(File.ReadAllText(path));
        }
        catch (DockerfileParseException exception)
        {
            throw new BuildSecretsException(Messages.DockerfileUnreadable(path, exception.Line, exception.Message));
        }
    }
}
