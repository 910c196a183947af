using System.Collections.Generic;
using System.Text;
using BuildSecrets.MSBuild.Model;

namespace BuildSecrets.MSBuild.Docker;

/// <summary>Turns a <see cref="BuildRequest"/> into the docker client's argument list. Secret values never appear in it.</summary>
internal static class DockerBuildArguments
{
    public static IReadOnlyList<string> Create(BuildRequest request, BuildMode mode)
    {
        var args = new List<string>();
        if (mode == BuildMode.Buildx)
        {
            args.Add("buildx");
            args.Add("build");
            args.Add("--load");
        }
        else
        {
            args.Add("build");
        }

        if (mode != BuildMode.Podman)
        {
            // Podman (Buildah) prints plain steps and has no --progress.
            args.Add("--progress=plain");
        }

        args.Add("--file");
        args.Add(request.Dockerfile);

        foreach (var reference in request.References)
        {
            args.Add("--tag");
            args.Add(reference);
        }

        foreach (var secret in request.Secrets)
        {
            args.Add("--secret");
            args.Add(SecretSpec(secret));
        }

        foreach (var ssh in request.Ssh)
        {
            args.Add("--ssh");
            args.Add(ssh.Source is null ? ssh.Id : $"{ssh.Id}={ssh.Source}");
        }

        foreach (var arg in request.BuildArgs)
        {
            args.Add("--build-arg");
            args.Add($"{arg.Name}={arg.Value}");
        }

        if (!string.IsNullOrEmpty(request.Network))
        {
            args.Add("--network");
            args.Add(request.Network!);
        }

        AddOption(args, "--target", request.Target);
        AddOption(args, "--platform", request.Platforms.Count == 0 ? null : string.Join(",", request.Platforms));
        foreach (var label in request.Labels)
        {
            args.Add("--label");
            args.Add($"{label.Key}={label.Value}");
        }

        if (request.Pull)
        {
            args.Add("--pull");
        }

        if (request.NoCache)
        {
            args.Add("--no-cache");
        }

        foreach (var cache in request.CacheFrom)
        {
            args.Add("--cache-from");
            args.Add(cache);
        }

        foreach (var cache in request.CacheTo)
        {
            args.Add("--cache-to");
            args.Add(cache);
        }

        AddOption(args, "--builder", request.Builder);
        AddOption(args, "--metadata-file", request.MetadataFile);
        args.AddRange(request.ExtraArguments);

        args.Add("--iidfile");
        args.Add(request.ImageIdFile);
        args.Add(request.Context);
        return args;
    }

    private static void AddOption(List<string> args, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            args.Add(name);
            args.Add(value!);
        }
    }

    /// <summary>The <c>--secret</c> value: BuildKit reads it as one CSV record, so fields with ',' or '"' are quoted.</summary>
    public static string SecretSpec(SecretDeclaration secret) => secret.Kind switch
    {
        SecretSourceKind.EnvironmentVariable => $"{CsvField("id=" + secret.Id)},{CsvField("env=" + secret.EnvironmentVariable)}",
        _ when secret.PassedThroughChildEnvironment => $"{CsvField("id=" + secret.Id)},{CsvField("env=" + secret.ChildVariable)}",
        _ => $"{CsvField("id=" + secret.Id)},{CsvField("src=" + secret.Source)}",
    };

    internal static string CsvField(string field)
    {
        if (field.IndexOf(',') < 0 && field.IndexOf('"') < 0)
        {
            return field;
        }

        var quoted = new StringBuilder(field.Length + 2).Append('"');
        foreach (var c in field)
        {
            quoted.Append(c == '"' ? "\"\"" : c.ToString());
        }

        return quoted.Append('"').ToString();
    }
}
