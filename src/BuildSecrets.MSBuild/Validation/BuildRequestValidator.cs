using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Model;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Validation;

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
    private readonly UserSecrets? _userSecrets;
    private readonly bool _windows;
    private readonly Dictionary<string, NuGetFeedsResult> _nuGetFeeds = new(StringComparer.Ordinal);

    public BuildRequestValidator(Func<string, string?> getEnvironmentVariable, UserSecrets? userSecrets = null, bool windows = false)
    {
        _getEnvironmentVariable = getEnvironmentVariable;
        _userSecrets = userSecrets;
        _windows = windows;
    }

    public IReadOnlyList<Diagnostic> Validate(BuildRequest request)
    {
        var found = new List<Diagnostic>();
        ValidateSecrets(request.Secrets, found);
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

        return found;
    }

    private void ValidateSecrets(IReadOnlyList<SecretDeclaration> secrets, List<Diagnostic> found)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var secret in secrets)
        {
            if (!SecretId.IsMatch(secret.Id))
            {
                found.Add(Messages.SecretIdInvalid(secret.Id));
                continue;
            }

            if (!seen.Add(secret.Id))
            {
                found.Add(Messages.SecretDuplicate(secret.Id));
                continue;
            }

            switch (secret.SourceCount)
            {
                case 0:
                    found.Add(Messages.SecretHasNoSource(secret.Id));
                    break;
                case > 1:
                    found.Add(Messages.SecretHasTwoSources(secret.Id));
                    break;
                default:
                    if (secret.Kind == SecretSourceKind.File)
                    {
                        ValidateSecretFile(secret.Id, secret.Source!, found);
                    }
                    else if (secret.Kind == SecretSourceKind.EnvironmentVariable)
                    {
                        ValidateSecretVariable(secret.Id, secret.EnvironmentVariable!, found);
                    }
                    else if (secret.Kind == SecretSourceKind.UserSecret)
                    {
                        if (LookupUserSecret(secret).Problem is { } problem)
                        {
                            found.Add(problem);
                        }
                    }
                    else if (secret.Kind == SecretSourceKind.NuGetFeeds)
                    {
                        found.AddRange(LookupNuGetFeeds(secret).Problems);
                    }
                    else if (secret.Value!.Length == 0)
                    {
                        found.Add(Messages.SecretValueEmpty(secret.Id));
                    }
                    else
                    {
                        found.Add(Messages.SecretValueInProject(secret.Id));
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// Whether an optional secret's source is absent (file missing, variable unset or empty, value
    /// empty): such a secret is left out of the build instead of failing it.
    /// </summary>
    public bool IsAbsent(SecretDeclaration secret) => secret.Kind switch
    {
        SecretSourceKind.File => !File.Exists(secret.Source!),
        SecretSourceKind.EnvironmentVariable => VariableName.IsMatch(secret.EnvironmentVariable!) && string.IsNullOrEmpty(_getEnvironmentVariable(secret.EnvironmentVariable!)),
        SecretSourceKind.Value => secret.Value!.Length == 0,
        SecretSourceKind.UserSecret => LookupUserSecret(secret).Absent,
        _ => false,
    };

    /// <summary>The value of a UserSecret secret, or the coded problem that keeps it from being read.</summary>
    public (string? Value, Diagnostic? Problem, bool Absent) LookupUserSecret(SecretDeclaration secret) =>
        (_userSecrets ?? new UserSecrets(null, _getEnvironmentVariable, windows: false)).Lookup(secret.Id, secret.UserSecret!);

    /// <summary>The NuGet.Config of a NuGetFeeds secret (made once per validator), or the coded problems that keep it from being made.</summary>
    public NuGetFeedsResult LookupNuGetFeeds(SecretDeclaration secret)
    {
        if (!_nuGetFeeds.TryGetValue(secret.Id, out var result))
        {
            result = NuGetFeedsConfig.Create(secret.Id, secret.NuGetFeedsDirectory!, secret.NuGetAuthenticatedFeeds, _getEnvironmentVariable, _windows);
            _nuGetFeeds[secret.Id] = result;
        }

        return result;
    }

    private static void ValidateSecretFile(string id, string path, List<Diagnostic> found)
    {
        if (Directory.Exists(path))
        {
            found.Add(Messages.SecretFileUnreadable(id, path, "it is a folder, not a file"));
            return;
        }

        if (!File.Exists(path))
        {
            found.Add(Messages.SecretFileMissing(id, path));
            return;
        }

        try
        {
            // Opening proves the file is readable; nothing is read from it.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            found.Add(Messages.SecretFileUnreadable(id, path, exception.GetType().Name));
        }
    }

    private void ValidateSecretVariable(string id, string variable, List<Diagnostic> found)
    {
        if (!VariableName.IsMatch(variable))
        {
            found.Add(Messages.SecretVariableNameInvalid(id, variable));
            return;
        }

        // Only emptiness is looked at; the value goes no further than this comparison.
        if (string.IsNullOrEmpty(_getEnvironmentVariable(variable)))
        {
            found.Add(Messages.SecretVariableUnset(id, variable));
        }
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
