using System.Globalization;
using BuildSecrets.MSBuild.BuildContext;
using BuildSecrets.MSBuild.Docker;
using BuildSecrets.MSBuild.Model;

namespace BuildSecrets.MSBuild.Pipeline;

/// <summary>
/// Remembers, under obj/, the findings of the last complete build check run (<c>buildx build
/// --check</c>), which uploads the context a second time. The checks judge the Dockerfile, its
/// arguments, target and platforms and the .dockerignore, not the files' content: under the same
/// key (those, the buildx and engine versions, the code version) they would find the same, so the
/// findings are reported again without running them.
/// </summary>
internal sealed class BuildCheckRecord(string path, string key)
{
    /// <summary>The record beside the image id file (obj/.../build-checks), keyed for this Dockerfile, .dockerignore and check run.</summary>
    public static BuildCheckRecord For(BuildRequest request, IReadOnlyList<string> checkArguments, DockerClientInfo info)
    {
        var key = new RecordKey()
            .AddFileContent("Dockerfile", request.Dockerfile)
            .Add("buildx", info.BuildxVersion)
            .Add("engine", info.ServerVersion);
        foreach (var ignoreFile in DockerIgnoreMatcher.Candidates(request.Context, request.Dockerfile))
        {
            key.AddFileContent("dockerignore", ignoreFile);
        }

        foreach (var argument in checkArguments)
        {
            key.Add("argument", argument);
        }

        return new BuildCheckRecord(BuildRecords.PathOf(request.ImageIdFile, "build-checks"), key.Hash());
    }

    /// <summary>The findings recorded under this key, or null when there are none (no record, another key, unreadable).</summary>
    public IReadOnlyList<BuildCheckFinding>? Read()
    {
        var fields = BuildRecords.ReadFields(path);
        if (fields is null || fields.Count == 0 || fields[0].Key != "key" || fields[0].Value != key)
        {
            return null;
        }

        var findings = new List<BuildCheckFinding>();
        foreach (var field in fields.Skip(1).Where(f => f.Key == "finding"))
        {
            // rule|line|description: the rule is a name and the line a number, so the description may hold '|'.
            var parts = field.Value.Split(['|'], 3);
            if (parts.Length != 3)
            {
                return null;
            }

            int? line = int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
            findings.Add(new BuildCheckFinding(parts[0], parts[2], line));
        }

        return findings;
    }

    /// <summary>Records a complete run's findings, whose descriptions the caller masked (the check run has no secrets, but the record is a file).</summary>
    public void Write(IEnumerable<BuildCheckFinding> findings)
    {
        var fields = new List<KeyValuePair<string, string>> { new("key", key) };
        fields.AddRange(findings.Select(f => new KeyValuePair<string, string>(
            "finding", f.Rule + "|" + f.Line?.ToString(CultureInfo.InvariantCulture) + "|" + f.Description)));
        BuildRecords.WriteFields(path, fields);
    }
}
