using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml;
using System.Xml.Linq;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>One <c>add</c> item of a NuGet configuration section: its key, value and other attributes.</summary>
internal sealed record NuGetConfigItem(string Key, string Value, IReadOnlyList<KeyValuePair<string, string>> OtherAttributes);

/// <summary>
/// One NuGet configuration file as NuGet reads it for package sources: the <c>packageSources</c>,
/// <c>disabledPackageSources</c> and <c>packageSourceCredentials</c> sections, each with whether it
/// holds a <c>&lt;clear /&gt;</c> (which drops what files of lower priority say).
/// </summary>
internal sealed class NuGetConfigFile
{
    /// <summary>The names NuGet looks for in each folder, in its order.</summary>
    private static readonly string[] ConfigFileNames = ["nuget.config", "NuGet.config", "NuGet.Config"];

    private NuGetConfigFile(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>The folder that relative source paths of this file start at.</summary>
    public string Folder => System.IO.Path.GetDirectoryName(Path)!;

    public List<NuGetConfigItem> Sources { get; } = new();

    public bool ClearsSources { get; private set; }

    public List<NuGetConfigItem> Disabled { get; } = new();

    public bool ClearsDisabled { get; private set; }

    /// <summary>packageSourceCredentials: the source name (decoded from its element name) to its items (Username, Password, ClearTextPassword, ValidAuthenticationTypes).</summary>
    public Dictionary<string, IReadOnlyList<NuGetConfigItem>> Credentials { get; } = new(StringComparer.OrdinalIgnoreCase);

    public bool ClearsCredentials { get; private set; }

    /// <summary>The configuration NuGet writes for a user who has none yet: nuget.org only.</summary>
    public static NuGetConfigFile DefaultUserConfig(string path)
    {
        var file = new NuGetConfigFile(path);
        file.Sources.Add(new NuGetConfigItem("nuget.org", "https://api.nuget.org/v3/index.json", [new("protocolVersion", "3")]));
        return file;
    }

    /// <summary>Reads a configuration file; throws <see cref="XmlException"/> when it is not a NuGet configuration.</summary>
    public static NuGetConfigFile Load(string path)
    {
        var file = new NuGetConfigFile(path);
        var document = XDocument.Parse(File.ReadAllText(path));
        if (document.Root is not { Name.LocalName: "configuration" } root)
        {
            throw new XmlException("the root element is not <configuration>");
        }

        file.ClearsSources = ReadSection(root.Element("packageSources"), file.Sources);
        file.ClearsDisabled = ReadSection(root.Element("disabledPackageSources"), file.Disabled);
        if (root.Element("packageSourceCredentials") is { } credentials)
        {
            foreach (var element in credentials.Elements())
            {
                if (element.Name.LocalName == "clear")
                {
                    file.ClearsCredentials = true;
                    file.Credentials.Clear();
                    continue;
                }

                var items = new List<NuGetConfigItem>();
                ReadSection(element, items);
                file.Credentials[XmlConvert.DecodeName(element.Name.LocalName)] = items;
            }
        }

        return file;
    }

    /// <summary>
    /// The files NuGet reads for a project folder, highest priority first: the first of nuget.config,
    /// NuGet.config and NuGet.Config in the folder and in each folder above it, then the user's
    /// NuGet.Config (%APPDATA%\NuGet on Windows, ~/.nuget/NuGet elsewhere; nuget.org only when it does
    /// not exist yet, as NuGet creates it) and the additional user files in its config folder.
    /// Machine-wide files are not read.
    /// </summary>
    public static IReadOnlyList<string> Paths(string projectDirectory, Func<string, string?> getEnvironmentVariable, bool windows, out string userConfig)
    {
        var paths = new List<string>();
        for (var folder = new DirectoryInfo(projectDirectory); folder is not null; folder = folder.Parent)
        {
            var found = ConfigFileNames.Select(name => System.IO.Path.Combine(folder.FullName, name)).FirstOrDefault(File.Exists);
            if (found is not null)
            {
                paths.Add(found);
            }
        }

        var userFolder = windows
            ? System.IO.Path.Combine(getEnvironmentVariable("APPDATA") ?? string.Empty, "NuGet")
            : System.IO.Path.Combine(getEnvironmentVariable("HOME") ?? string.Empty, ".nuget", "NuGet");
        userConfig = System.IO.Path.Combine(userFolder, "NuGet.Config");
        paths.Add(userConfig);
        var additional = System.IO.Path.Combine(userFolder, "config");
        if (Directory.Exists(additional))
        {
            paths.AddRange(Directory.GetFiles(additional, "*.config").OrderBy(p => p, StringComparer.OrdinalIgnoreCase));
        }

        return paths;
    }

    private static bool ReadSection(XElement? section, List<NuGetConfigItem> items)
    {
        var cleared = false;
        foreach (var element in section?.Elements() ?? [])
        {
            switch (element.Name.LocalName)
            {
                case "clear":
                    cleared = true;
                    items.Clear();
                    break;
                case "add" when element.Attribute("key") is { } key:
                    items.RemoveAll(i => string.Equals(i.Key, key.Value, StringComparison.OrdinalIgnoreCase));
                    items.Add(new NuGetConfigItem(
                        key.Value,
                        element.Attribute("value")?.Value ?? string.Empty,
                        element.Attributes().Where(a => a.Name.LocalName is not ("key" or "value")).Select(a => new KeyValuePair<string, string>(a.Name.LocalName, a.Value)).ToArray()));
                    break;
                case "remove" when element.Attribute("key") is { } removed:
                    items.RemoveAll(i => string.Equals(i.Key, removed.Value, StringComparison.OrdinalIgnoreCase));
                    break;
            }
        }

        return cleared;
    }
}
