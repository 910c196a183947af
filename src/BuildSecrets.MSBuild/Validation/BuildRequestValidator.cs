using System.IO;
using System.Text.RegularExpressions;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Validation;

/// <summary>What validation made of a request: the secrets it can use, typed; the optional ones left out (with what is absent); the problems.</summary>
internal sealed record ValidatedRequest(
    BuildRequest Request,
    IReadOnlyList<DeclaredSecret> Secrets,
    IReadOnlyList<(DeclaredSecret Secret, string Absence)> LeftOut,
    IReadOnlyList<Diagnostic> Problems);

/// <summary>
/// Checks a <see cref="BuildRequest"/> before docker is started. It looks at files and at whether
/// variables are set; it never copies a secret value anywhere.
/// </summary>
internal sealed class BuildRequestValidator
{
    // Letters, digits, '.', '_', '-'; not '.' or '..' (the id names a file under /run/secrets).
    private static readonly Regex SecretId = new(@"^(?!\.\.?$)[A-Za-z0-9._-]+$", RegexOptions.CultureInvariant);
    private static readonly Regex VariableName = new("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);
    private static readonly Regex BuildArgName = new("^[A-Za-z_][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant);
    private static readonly Regex Tag = new("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant);

    private const string PathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static readonly Regex Repository = new(
        "^(?:(?:[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+|localhost|[A-Za-z0-9-]+(?=:))(?::[0-9]+)?/)?" + PathComponent + "(?:/" + PathComponent + ")*$",
        RegexOptions.CultureInvariant);

    private readonly Func<string, string?> _getEnvironmentVariable;
    private readonly UserSecrets _userSecrets;
    private readonly bool _windows;

    public BuildRequestValidator(Func<string, string?> getEnvironmentVariable, UserSecrets userSecrets, bool windows = false)
    {
        _getEnvironmentVariable = getEnvironmentVariable;
        _userSecrets = userSecrets;
        _windows = windows;
    }

    /// <summary>
    /// Checks the request; the secrets it can use come back typed. Optional secrets whose source is
    /// absent are left out (<see cref="ValidatedRequest.LeftOut"/>), never reported as problems.
    /// </summary>
    public ValidatedRequest Validate(BuildRequest request)
    {
        var found = new List<Diagnostic>();
        var (secrets, leftOut) = ValidateSecrets(request.Secrets, found);
        ValidateSsh(request.Ssh, found);
        ValidateBuildArgs(request.BuildArgs, found);

        if (!File.Exists(request.Dockerfile))
        {
            found.Add(Messages.DockerfileMissing(request.Dockerfile));
        }

        if (!Directory.Exists(request.Context))
        {
            found.Add(Messages.ContextMissing(request.Context));
        }

        if (request.Repository.Length > 255 || !Repository.IsMatch(request.Repository))
        {
            found.Add(Messages.RepositoryInvalid(request.Repository));
        }

        foreach (var tag in request.Tags)
        {
            if (!Tag.IsMatch(tag))
            {
                found.Add(Messages.TagInvalid(tag));
            }
        }

        return new ValidatedRequest(request, secrets, leftOut, found);
    }

    private (List<DeclaredSecret> Secrets, List<(DeclaredSecret Secret, string Absence)> LeftOut) ValidateSecrets(IReadOnlyList<SecretItem> items, List<Diagnostic> found)
    {
        var secrets = new List<DeclaredSecret>();
        var leftOut = new List<(DeclaredSecret, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!SecretId.IsMatch(item.Id))
            {
                found.Add(Messages.SecretIdInvalid(item.Id));
                continue;
            }

            if (!seen.Add(item.Id))
            {
                found.Add(Messages.SecretDuplicate(item.Id));
                continue;
            }

            if (CreateSource(item, found) is not { } source)
            {
                continue;
            }

            var secret = new DeclaredSecret(item.Id, source, item.Rotate);
            if (!item.Required && source.IsAbsent)
            {
                leftOut.Add((secret, source.Absence));
                continue;
            }

            found.AddRange(source.Check(item.Id));

            secrets.Add(secret);
        }

        return (secrets, leftOut);
    }

    /// <summary>The one source the item names, or null (with the problem reported) when it names none, several, or an invalid one.</summary>
    private SecretSource? CreateSource(SecretItem item, List<Diagnostic> found)
    {
        var sources = new List<SecretSource>();
        if (!string.IsNullOrEmpty(item.Source))
        {
            sources.Add(new FileSecretSource(item.Source!));
        }

        if (!string.IsNullOrEmpty(item.EnvironmentVariable))
        {
            sources.Add(new EnvironmentSecretSource(item.EnvironmentVariable!, _getEnvironmentVariable));
        }

        if (!string.IsNullOrEmpty(item.UserSecret))
        {
            sources.Add(new UserSecretSource(item.Id, item.UserSecret!, _userSecrets));
        }

        if (item.Value is not null)
        {
            sources.Add(new ValueSecretSource(item.Value));
        }

        if (item.NuGetFeedsDirectory is not null)
        {
            sources.Add(new NuGetFeedsSecretSource(item.Id, item.NuGetFeedsDirectory, item.NuGetAuthenticatedFeeds, _getEnvironmentVariable, _windows));
        }

        switch (sources.Count)
        {
            case 0:
                found.Add(Messages.SecretHasNoSource(item.Id));
                return null;
            case > 1:
                found.Add(Messages.SecretHasTwoSources(item.Id));
                return null;
        }

        if (sources[0] is EnvironmentSecretSource environment && !VariableName.IsMatch(environment.Variable))
        {
            found.Add(Messages.SecretVariableNameInvalid(item.Id, environment.Variable));
            return null;
        }

        return sources[0];
    }

    private void ValidateSsh(IReadOnlyList<SshForward> forwards, List<Diagnostic> found)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ssh in forwards)
        {
            if (!SecretId.IsMatch(ssh.Id) || !seen.Add(ssh.Id))
            {
                found.Add(Messages.SshIdInvalid(ssh.Id));
            }
            else if (ssh.Source is not null)
            {
                if (!File.Exists(ssh.Source))
                {
                    found.Add(Messages.SshKeyMissing(ssh.Id, ssh.Source));
                }
            }
            else
            {
                // The agent: docker reads SSH_AUTH_SOCK from its own environment, the build's.
                var socket = _getEnvironmentVariable("SSH_AUTH_SOCK");
                if (string.IsNullOrEmpty(socket))
                {
                    found.Add(Messages.SshAgentMissing(ssh.Id, null));
                }
                else if (!PathExists(socket!))
                {
                    found.Add(Messages.SshAgentMissing(ssh.Id, socket));
                }
            }
        }
    }

    private static bool PathExists(string path)
    {
        try
        {
            // File.Exists may be false for a Unix socket; its attributes still tell it exists.
            File.GetAttributes(path);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    private static void ValidateBuildArgs(IReadOnlyList<BuildArgument> buildArgs, List<Diagnostic> found)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var arg in buildArgs)
        {
            if (!BuildArgName.IsMatch(arg.Name))
            {
                found.Add(Messages.BuildArgInvalid(arg.Name));
            }
            else if (!seen.Add(arg.Name))
            {
                found.Add(Messages.BuildArgDuplicate(arg.Name));
            }
        }
    }
}
