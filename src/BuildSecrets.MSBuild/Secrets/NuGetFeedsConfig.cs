using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using BuildSecrets.MSBuild.Diagnostics;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>
/// What a NuGet feeds secret produced: the NuGet.Config for the image build (null when a problem
/// stops the build), the passwords and tokens in it, the coded problems, and notes for the log
/// (sources left out). The configuration lives in memory only.
/// </summary>
internal sealed record NuGetFeedsResult(string? ConfigXml, IReadOnlyList<string> Credentials, IReadOnlyList<Diagnostic> Problems, IReadOnlyList<string> Notes);

/// <summary>
/// Makes the NuGet.Config a Dockerfile's <c>dotnet restore --configfile</c> needs: the project's
/// effective package sources, as NuGet computes them for the project folder (the configuration
/// files from the project folder up, then the user's; <c>&lt;clear /&gt;</c>, <c>remove</c> and
/// <c>disabledPackageSources</c> respected), each network source with the credentials this machine
/// has for it. Credentials come, as NuGet takes them, from the variable
/// <c>NuGetPackageSourceCredentials_&lt;name&gt;</c> first, then <c>packageSourceCredentials</c> (a
/// <c>ClearTextPassword</c>, <c>%VARIABLE%</c> references expanded, or a <c>Password</c> encrypted
/// with Windows' data protection, decrypted on Windows only), then the Azure Artifacts credential
/// provider's <c>VSS_NUGET_EXTERNAL_FEED_ENDPOINTS</c>. Folder sources are left out: a path of the
/// build machine means nothing inside the image build.
/// </summary>
/// <remarks>
/// NuGet's own NuGet.Configuration is not used: on .NET Framework (Visual Studio) it is not in
/// MSBuild's folder and has no binding redirect there, so a strong-named reference binds only to
/// the exact version it was compiled against, which changes with every Visual Studio update; shipping
/// a copy would add two assemblies to a package that ships one and would be a second copy beside
/// the one NuGet's restore loads. On the .NET SDK it could be borrowed from the SDK folder, but then
/// the two hosts would compute sources with different code. These rules are NuGet's documented ones.
/// </remarks>
internal static class NuGetFeedsConfig
{
    /// <summary>The variable NuGet reads a source's credentials from: NuGetPackageSourceCredentials_&lt;source name&gt;.</summary>
    public const string CredentialsVariablePrefix = "NuGetPackageSourceCredentials_";

    /// <summary>The Azure Artifacts credential provider's endpoints: {"endpointCredentials":[{"endpoint","username","password"}]}.</summary>
    public const string VssEndpointsVariable = "VSS_NUGET_EXTERNAL_FEED_ENDPOINTS";

    /// <summary>The user name given with a VSS endpoint that names none (any name works with a personal access token).</summary>
    public const string VssDefaultUsername = "VssSessionToken";

    private static readonly Regex VariableReference = new("%([^%]+)%", RegexOptions.CultureInvariant);

    private static readonly Regex EnvironmentCredentials = new(
        @"^\s*Username=(?<user>.*?);\s*Password=(?<password>.*?)(?:;\s*ValidAuthenticationTypes=(?<types>.*?))?\s*$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Singleline);

    /// <summary>Hosts whose feeds always need credentials: GitHub Packages.</summary>
    private static readonly string[] AuthenticatedHosts = ["nuget.pkg.github.com"];

    /// <param name="secretId">The DockerSecret id, named by the messages.</param>
    /// <param name="projectDirectory">The folder whose NuGet configuration applies (the project's).</param>
    /// <param name="authenticatedFeeds">Sources (names or URLs) that must have credentials: the NuGetAuthenticatedFeeds metadata.</param>
    /// <param name="getEnvironmentVariable">The build's environment.</param>
    /// <param name="windows">Whether this is Windows (user configuration folder, DPAPI).</param>
    public static NuGetFeedsResult Create(
        string secretId, string projectDirectory, IReadOnlyCollection<string> authenticatedFeeds, Func<string, string?> getEnvironmentVariable, bool windows)
    {
        var problems = new List<Diagnostic>();
        var notes = new List<string>();
        var files = new List<NuGetConfigFile>();
        foreach (var path in NuGetConfigFile.Paths(projectDirectory, getEnvironmentVariable, windows, out var userConfig))
        {
            try
            {
                files.Add(path == userConfig && !File.Exists(path) ? NuGetConfigFile.DefaultUserConfig(path) : NuGetConfigFile.Load(path));
            }
            catch (XmlException exception)
            {
                // Only the position: the parser's own text may quote the file's content.
                problems.Add(Messages.NuGetConfigUnreadable(secretId, path, $"it is not valid XML, or not a NuGet configuration (line {exception.LineNumber}, position {exception.LinePosition})"));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                problems.Add(Messages.NuGetConfigUnreadable(secretId, path, $"it cannot be read ({exception.GetType().Name})"));
            }
        }

        var vss = ReadVssEndpoints(secretId, getEnvironmentVariable, problems);
        if (problems.Count > 0)
        {
            return new NuGetFeedsResult(null, [], problems, notes);
        }

        var sources = Merge(files, f => f.Sources, f => f.ClearsSources).ToList();
        var disabled = new HashSet<string>(
            Merge(files, f => f.Disabled, f => f.ClearsDisabled).Where(d => string.Equals(d.Item.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase)).Select(d => d.Item.Key),
            StringComparer.OrdinalIgnoreCase);

        var root = new XElement("configuration");
        var sourcesElement = new XElement("packageSources", new XElement("clear"));
        var credentialsElement = new XElement("packageSourceCredentials");
        var credentials = new List<string>();
        var kept = new List<(string Name, string Url)>();
        foreach (var (item, file) in sources)
        {
            if (disabled.Contains(item.Key))
            {
                continue;
            }

            var url = Expand(item.Value, getEnvironmentVariable).Trim();
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                notes.Add($"the NuGet source '{item.Key}' ({url}) is a folder of this machine, which the image build cannot read: it is left out of DockerSecret '{secretId}'.");
                continue;
            }

            kept.Add((item.Key, url));
            sourcesElement.Add(new XElement("add", new XAttribute("key", item.Key), new XAttribute("value", url), item.OtherAttributes.Select(a => new XAttribute(a.Key, a.Value))));
            var credential = FindCredential(secretId, item.Key, url, files, vss, getEnvironmentVariable, windows, problems);
            if (credential is { } found)
            {
                credentials.Add(found.Password);
                credentialsElement.Add(new XElement(
                    XmlConvert.EncodeLocalName(item.Key),
                    new XElement("add", new XAttribute("key", "Username"), new XAttribute("value", found.Username)),
                    new XElement("add", new XAttribute("key", "ClearTextPassword"), new XAttribute("value", found.Password)),
                    found.Types is { Length: > 0 } types ? new XElement("add", new XAttribute("key", "ValidAuthenticationTypes"), new XAttribute("value", types)) : null));
                notes.Add($"the NuGet source '{item.Key}' ({url}) gets credentials from {found.From} in DockerSecret '{secretId}'.");
            }
            else if (authenticatedFeeds.Any(f => Names(f, item.Key, url)) || AuthenticatedHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add(Messages.NuGetFeedCredentialsMissing(secretId, item.Key, url));
            }
        }

        foreach (var feed in authenticatedFeeds.Where(f => !kept.Any(k => Names(f, k.Name, k.Url))))
        {
            problems.Add(Messages.NuGetAuthenticatedFeedUnknown(secretId, feed, kept.Select(k => k.Name).ToArray()));
        }

        if (problems.Count > 0)
        {
            return new NuGetFeedsResult(null, [], problems, notes);
        }

        root.Add(sourcesElement);
        if (credentialsElement.HasElements)
        {
            root.Add(credentialsElement);
        }

        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + root.ToString(SaveOptions.None).Replace("\r\n", "\n") + "\n";
        return new NuGetFeedsResult(xml, credentials, [], notes);
    }

    private static bool Names(string feed, string name, string url) =>
        string.Equals(feed.Trim(), name, StringComparison.OrdinalIgnoreCase) || SameUrl(feed, url);

    private static bool SameUrl(string a, string b) =>
        string.Equals(a.Trim().TrimEnd('/'), b.Trim().TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>The items of one section after NuGet's merge: the highest-priority file first; a clear stops the files below it.</summary>
    private static IEnumerable<(NuGetConfigItem Item, NuGetConfigFile File)> Merge(
        IEnumerable<NuGetConfigFile> files, Func<NuGetConfigFile, List<NuGetConfigItem>> section, Func<NuGetConfigFile, bool> clears)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
        {
            foreach (var item in section(file))
            {
                if (seen.Add(item.Key))
                {
                    yield return (item, file);
                }
            }

            if (clears(file))
            {
                yield break;
            }
        }
    }

    private sealed record Credential(string Username, string Password, string? Types, string From);

    private static Credential? FindCredential(
        string secretId,
        string name,
        string url,
        IReadOnlyList<NuGetConfigFile> files,
        IReadOnlyList<(string Endpoint, string? Username, string Password)> vss,
        Func<string, string?> getEnvironmentVariable,
        bool windows,
        List<Diagnostic> problems)
    {
        var variable = CredentialsVariablePrefix + name;
        if (getEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment)
        {
            var match = EnvironmentCredentials.Match(fromEnvironment);
            if (!match.Success || match.Groups["password"].Value.Length == 0)
            {
                problems.Add(Messages.NuGetFeedCredentialsUnreadable(secretId, name, $"the variable {variable}", "it is not 'Username=<user>;Password=<password>'"));
                return null;
            }

            return new Credential(match.Groups["user"].Value, match.Groups["password"].Value, match.Groups["types"].Value, $"the variable {variable}");
        }

        foreach (var file in files)
        {
            if (file.Credentials.TryGetValue(name, out var items))
            {
                return FromConfig(secretId, name, file.Path, items, getEnvironmentVariable, windows, problems);
            }

            if (file.ClearsCredentials)
            {
                break;
            }
        }

        var endpoint = vss.FirstOrDefault(e => SameUrl(e.Endpoint, url));
        return endpoint.Endpoint is null
            ? null
            : new Credential(endpoint.Username ?? VssDefaultUsername, endpoint.Password, null, VssEndpointsVariable);
    }

    private static Credential? FromConfig(
        string secretId, string name, string path, IReadOnlyList<NuGetConfigItem> items, Func<string, string?> getEnvironmentVariable, bool windows, List<Diagnostic> problems)
    {
        string? Item(string key) => items.FirstOrDefault(i => string.Equals(i.Key, key, StringComparison.OrdinalIgnoreCase))?.Value;
        var username = Expand(Item("Username") ?? string.Empty, getEnvironmentVariable);
        var types = Item("ValidAuthenticationTypes");
        var where = $"packageSourceCredentials in '{path}'";
        if (Item("ClearTextPassword") is { } clear)
        {
            var password = Expand(clear, getEnvironmentVariable);
            if (password.Length == 0 || VariableReference.IsMatch(password))
            {
                problems.Add(Messages.NuGetFeedCredentialsUnreadable(secretId, name, where, "its ClearTextPassword is empty or names an environment variable that is not set"));
                return null;
            }

            return new Credential(username, password, types, where);
        }

        if (Item("Password") is not { } encrypted)
        {
            problems.Add(Messages.NuGetFeedCredentialsUnreadable(secretId, name, where, "it has no Password or ClearTextPassword"));
            return null;
        }

        if (!windows)
        {
            problems.Add(Messages.NuGetFeedCredentialsUnreadable(
                secretId, name, where, "its Password is encrypted with Windows' data protection, which only Windows can decrypt; store it with 'dotnet nuget update source <name> --username <user> --password <password> --store-password-in-clear-text', or use the variable " + CredentialsVariablePrefix + name));
            return null;
        }

        var decrypted = WindowsDataProtection.Unprotect(encrypted);
        if (decrypted is null)
        {
            problems.Add(Messages.NuGetFeedCredentialsUnreadable(secretId, name, where, "its encrypted Password cannot be decrypted by this Windows user (it was encrypted by another user or machine)"));
            return null;
        }

        return new Credential(username, decrypted, types, where);
    }

    private static List<(string Endpoint, string? Username, string Password)> ReadVssEndpoints(
        string secretId, Func<string, string?> getEnvironmentVariable, List<Diagnostic> problems)
    {
        if (getEnvironmentVariable(VssEndpointsVariable) is not { Length: > 0 } text)
        {
            return [];
        }

        try
        {
            var endpoints = new List<(string, string?, string)>();
            foreach (var entry in Json.Array(Json.Parse(text), "endpointCredentials"))
            {
                if (Json.String(entry, "endpoint") is { Length: > 0 } endpoint && Json.String(entry, "password") is { Length: > 0 } password)
                {
                    endpoints.Add((endpoint, Json.String(entry, "username") is { Length: > 0 } user ? user : null, password));
                }
            }

            return endpoints;
        }
        catch (JsonFormatException)
        {
            problems.Add(Messages.NuGetConfigUnreadable(secretId, VssEndpointsVariable, "it is not valid JSON"));
            return [];
        }
    }

    /// <summary>Expands %NAME% references as NuGet does; references to unset variables stay as they are.</summary>
    private static string Expand(string value, Func<string, string?> getEnvironmentVariable) =>
        VariableReference.Replace(value, m => getEnvironmentVariable(m.Groups[1].Value) is { } found ? found : m.Value);
}
