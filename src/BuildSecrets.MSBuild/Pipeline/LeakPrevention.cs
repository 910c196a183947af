using System.IO;
using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// Stage 3, check before the build: refuses what would leak (a secret file or a copy of a value in
/// the context, a value in a build argument or in the Dockerfile) and reads what the Dockerfile
/// says of the declared secrets. Of the context it searches only the files the Dockerfile can take,
/// and of those only the ones that changed since the last clean check (<see cref="ContextCheckRecord"/>).
/// </summary>
internal sealed class LeakPrevention(IBuildLog log, SecretRotation? rotation)
{
    /// <summary>What the last run read of the context and left unread as unchanged (the log says it too; the benchmark prints it).</summary>
    public CleanFiles ContextFilesRead { get; private set; } = CleanFiles.None();

    /// <summary>The parsed Dockerfile, or null when an error was reported.</summary>
    public ParsedDockerfile? Run(BuildRequest request, IReadOnlyList<DeclaredSecret> secrets, IReadOnlyDictionary<string, byte[]> values)
    {
        var dockerfile = Read(request.Dockerfile);
        var ignore = DockerIgnoreMatcher.Load(request.Context, request.Dockerfile);
        var searchable = values.Select(v => SearchableSecret.Of(v.Key, v.Value)).ToArray();
        var sources = dockerfile.ContextSources();
        var record = ContextCheckRecord.For(request.ImageIdFile, request.Context, rotation, values);
        var files = ContextFilesRead = record.Load();
        var found = LeakPrecheck.Check(request, secrets, searchable, ignore, sources, files);
        log.Detail("BuildSecrets: searched {0} file(s) of the build context ({1}) for the secrets' values; {2} file(s) unchanged since the last clean check were not read again.",
            files.FilesRead,
            sources.Any(s => s.IsWholeContext) ? "all of it" : "what the Dockerfile's COPY, ADD and bind mounts take",
            files.FilesSkipped);
        if (found.Count == 0)
        {
            record.Save(files);
        }

        var problems = found.Concat(LeakPrecheck.CheckDockerfile(dockerfile, request.Dockerfile, secrets));
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
