using System.IO;
using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Diagnostics;
using System.Text;
using BuildSecrets.MSBuild.Dockerfiles;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>A declared secret with its search strings: as text (for build arguments and the Dockerfile) and as bytes (for files).</summary>
internal sealed record SearchableSecret(string Id, IReadOnlyList<string> Needles, IReadOnlyList<byte[]> Bytes)
{
    public static SearchableSecret Of(string id, byte[] value)
    {
        var needles = SecretValues.Needles(id, value);
        return new SearchableSecret(id, SecretValues.TextNeedles(needles), needles.Select(n => n.Bytes).ToArray());
    }
}

/// <summary>
/// The checks made before docker starts that can prove a build would leak a secret: the secret
/// file (or a copy of it) in the build context, a secret value in a build argument or in the
/// Dockerfile itself.
/// </summary>
internal static class LeakPrecheck
{
    /// <param name="ignore">The context's .dockerignore rules.</param>
    public static IReadOnlyList<Diagnostic> Check(
        BuildRequest request,
        IReadOnlyList<DeclaredSecret> declared,
        IReadOnlyList<SearchableSecret> secrets,
        DockerIgnoreMatcher ignore)
    {
        var found = new List<Diagnostic>();
        CheckBuildArgs(request, secrets, found);
        CheckDockerfileText(request.Dockerfile, secrets, found);
        CheckContext(request, declared, secrets, ignore, found);
        return found;
    }

    private static void CheckBuildArgs(BuildRequest request, IReadOnlyList<SearchableSecret> secrets, List<Diagnostic> found)
    {
        foreach (var arg in request.BuildArgs)
        {
            foreach (var secret in secrets)
            {
                if (secret.Needles.Any(needle => arg.Value.Contains(needle)))
                {
                    found.Add(Messages.SecretInBuildArg(secret.Id, arg.Name));
                }
            }
        }
    }

    private static void CheckDockerfileText(string dockerfile, IReadOnlyList<SearchableSecret> secrets, List<Diagnostic> found)
    {
        if (!File.Exists(dockerfile))
        {
            return;
        }

        var lines = File.ReadAllLines(dockerfile);
        foreach (var secret in secrets)
        {
            for (var i = 0; i < lines.Length; i++)
            {
                if (secret.Needles.Any(needle => lines[i].Contains(needle)))
                {
                    found.Add(Messages.SecretInDockerfile(secret.Id, dockerfile, i + 1));
                    break;
                }
            }
        }
    }

    private static void CheckContext(BuildRequest request, IReadOnlyList<DeclaredSecret> declared, IReadOnlyList<SearchableSecret> secrets, DockerIgnoreMatcher ignore, List<Diagnostic> found)
    {
        if (!Directory.Exists(request.Context))
        {
            return;
        }

        var context = Path.GetFullPath(request.Context);
        var sources = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, file) in declared.Select(s => (s.Id, (s.Source as FileSecretSource)?.Path)))
        {
            if (file is null)
            {
                continue;
            }

            var source = Path.GetFullPath(file);
            sources.Add(source);
            var relative = ContextFiles.RelativeTo(context, source);
            if (relative is not null && !ignore.IsExcluded(relative))
            {
                found.Add(Messages.SecretInContext(id, source, context));
            }
        }

        var searchable = secrets.Where(s => s.Bytes.Count > 0).ToArray();
        if (searchable.Length == 0)
        {
            return;
        }

        var needles = searchable.SelectMany(s => s.Bytes).ToArray();
        var owners = searchable.SelectMany(s => s.Bytes.Select(_ => s.Id)).ToArray();
        foreach (var file in ContextFiles.Enumerate(context, ignore))
        {
            if (sources.Contains(Path.GetFullPath(file)))
            {
                continue;
            }

            foreach (var id in ByteSearch.FindInFile(file, needles).Select(i => owners[i]).Distinct())
            {
                found.Add(Messages.SecretCopyInContext(id, file, context));
            }
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
}
