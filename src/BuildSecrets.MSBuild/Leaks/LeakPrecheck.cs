using System.IO;
using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Diagnostics;
using System.Text;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>A declared secret with its search strings (<see cref="SecretValues.Needles"/>), searched for in files and in text alike.</summary>
internal sealed record SearchableSecret(string Id, IReadOnlyList<byte[]> Bytes)
{
    public static SearchableSecret Of(string id, byte[] value) => new(id, SecretValues.Needles(id, value).Select(n => n.Bytes).ToArray());
}

/// <summary>
/// The checks made before docker starts that can prove a build would leak a secret: the secret
/// file (or a copy of it) in the build context, a secret value in a build argument or in the
/// Dockerfile itself.
/// </summary>
internal static class LeakPrecheck
{
    /// <param name="ignore">The context's .dockerignore rules.</param>
    /// <param name="sources">What the Dockerfile can take from the context (<see cref="ParsedDockerfile.ContextSources"/>): only those files are searched.</param>
    /// <param name="files">The files known clean from the last check, not read again; told what this check read.</param>
    public static IReadOnlyList<Diagnostic> Check(
        BuildRequest request,
        IReadOnlyList<DeclaredSecret> declared,
        IReadOnlyList<SearchableSecret> secrets,
        DockerIgnoreMatcher ignore,
        IReadOnlyList<ContextSource> sources,
        CleanFiles files)
    {
        var found = new List<Diagnostic>();
        var search = new SecretSearch(secrets);
        CheckBuildArgs(request, search, found);
        CheckDockerfileText(request.Dockerfile, search, found);
        CheckContext(request, declared, search, ignore, sources, files, found);
        return found;
    }

    private static void CheckBuildArgs(BuildRequest request, SecretSearch search, List<Diagnostic> found)
    {
        foreach (var arg in request.BuildArgs)
        {
            foreach (var id in search.SecretsIn(arg.Value))
            {
                found.Add(Messages.SecretInBuildArg(id, arg.Name));
            }
        }
    }

    private static void CheckDockerfileText(string dockerfile, SecretSearch search, List<Diagnostic> found)
    {
        if (!File.Exists(dockerfile))
        {
            return;
        }

        // The first line that holds each secret, reported in the order the secrets are declared.
        var firstLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(dockerfile);
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (var id in search.SecretsIn(lines[i]).Where(id => !firstLines.ContainsKey(id)))
            {
                firstLines[id] = i + 1;
            }
        }

        foreach (var id in search.Ids.Where(firstLines.ContainsKey))
        {
            found.Add(Messages.SecretInDockerfile(id, dockerfile, firstLines[id]));
        }
    }

    /// <summary>
    /// The declared secret files inside the context whether or not a COPY names them (a later
    /// <c>COPY . /app</c> would take them), then copies of the values in what the Dockerfile can take.
    /// </summary>
    private static void CheckContext(
        BuildRequest request, IReadOnlyList<DeclaredSecret> declared, SecretSearch search, DockerIgnoreMatcher ignore, IReadOnlyList<ContextSource> sources, CleanFiles files, List<Diagnostic> found)
    {
        if (!Directory.Exists(request.Context))
        {
            return;
        }

        var context = Path.GetFullPath(request.Context);
        var secretFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, file) in declared.Select(s => (s.Id, (s.Source as FileSecretSource)?.Path)))
        {
            if (file is null)
            {
                continue;
            }

            var source = Path.GetFullPath(file);
            secretFiles.Add(source);
            var relative = ContextFiles.RelativeTo(context, source);
            if (relative is not null && !ignore.IsExcluded(relative))
            {
                found.Add(Messages.SecretInContext(id, source, context));
            }
        }

        if (search.IsEmpty)
        {
            return;
        }

        foreach (var file in ContextFiles.EnumerateTaken(context, ignore, sources))
        {
            if (secretFiles.Contains(Path.GetFullPath(file)))
            {
                continue;
            }

            // The stamp is taken before the read: a file written during it has a newer time, so it is read next time.
            var stamp = FileStamp.Of(ContextFiles.RelativeTo(context, file)!, file);
            if (files.IsUnchanged(stamp))
            {
                continue;
            }

            var ids = search.SecretsInFile(file).ToArray();
            files.Read(stamp, clean: ids.Length == 0);
            found.AddRange(ids.Select(id => Messages.SecretCopyInContext(id, file, context)));
        }
    }

    /// <summary>
    /// What the Dockerfile says of the declared secrets: mounts of undeclared secrets, declared
    /// secrets nobody mounts, ARG and ENV names that look like credentials.
    /// </summary>
    public static IReadOnlyList<Diagnostic> CheckDockerfile(ParsedDockerfile dockerfile, string path, IReadOnlyList<DeclaredSecret> declared)
    {
        var found = new List<Diagnostic>();
        var ids = new HashSet<string>(declared.Select(s => s.Id), StringComparer.Ordinal);
        foreach (var mount in dockerfile.SecretMounts.GroupBy(m => m.Id).Select(g => g.OrderByDescending(m => m.Required).First()))
        {
            if (!ids.Contains(mount.Id))
            {
                found.Add(mount.Required ? Messages.RequiredMountUndeclared(mount.Id, mount.Target, path, mount.Line) : Messages.MountUndeclared(mount.Id, mount.Target, path, mount.Line));
            }
        }

        var mounted = new HashSet<string>(dockerfile.SecretMounts.Select(m => m.Id), StringComparer.Ordinal);
        foreach (var secret in declared.Where(s => !mounted.Contains(s.Id)))
        {
            found.Add(Messages.SecretNotMounted(secret.Id, path));
        }

        foreach (var variable in dockerfile.Variables.Where(v => DockerfileReader.LooksLikeCredential(v.Name)).GroupBy(v => (v.Kind, v.Name)).Select(g => g.First()))
        {
            found.Add(Messages.CredentialLikeVariable(variable.Kind, variable.Name, path, variable.Line));
        }

        return found;
    }

    /// <summary>Every search string of every secret in one search: which secrets a text or a file holds.</summary>
    private sealed class SecretSearch
    {
        private readonly MultiPatternSearch _search;
        private readonly string[] _owners;

        public SecretSearch(IReadOnlyList<SearchableSecret> secrets)
        {
            Ids = secrets.Select(s => s.Id).ToArray();
            _owners = secrets.SelectMany(s => s.Bytes.Select(_ => s.Id)).ToArray();
            _search = new MultiPatternSearch(secrets.SelectMany(s => s.Bytes).ToArray());
        }

        /// <summary>The secrets' ids, in the order they are declared.</summary>
        public IReadOnlyList<string> Ids { get; }

        public bool IsEmpty => _owners.Length == 0;

        /// <summary>The ids of the secrets the text holds, in the order they are declared.</summary>
        public IEnumerable<string> SecretsIn(string text)
        {
            var owners = new HashSet<string>(_search.FindIn(Encoding.UTF8.GetBytes(text)).Select(i => _owners[i]), StringComparer.Ordinal);
            return Ids.Where(owners.Contains);
        }

        /// <summary>The ids of the secrets the file holds, in the order they are found.</summary>
        public IEnumerable<string> SecretsInFile(string path) => _search.FindInFile(path).Select(i => _owners[i]).Distinct();
    }
}
