using BuildSecrets.MSBuild.BuildContext;

namespace BuildSecrets.MSBuild.Dockerfiles;

/// <summary>One instruction: its keyword (upper case), its arguments after the flags, and the line it starts on.</summary>
internal sealed record DockerfileInstruction(string Keyword, string Arguments, int Line)
{
    /// <summary>The flags before the arguments as written (<c>--from=build</c>, <c>--mount=...</c>).</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];
}

/// <summary>A build stage: its FROM image as written, and its name when it has one.</summary>
internal sealed record DockerfileStage(int Index, string Image, string? Name, int Line);

/// <summary>A <c>RUN --mount=type=secret</c>, with BuildKit's defaults applied (the id defaults to the target's file name).</summary>
internal sealed record SecretMount(string Id, string Target, bool Required, int Line);

/// <summary>
/// A <c>RUN --mount</c> of type bind (BuildKit's default type): its source (null for the root) and the
/// stage or image it comes from (null for the build context).
/// </summary>
internal sealed record BindMount(string? Source, string? From, int Line);

/// <summary>An ARG or ENV declaration.</summary>
internal sealed record VariableDeclaration(string Kind, string Name, string? Value, int Line);

/// <summary>What the package needs to know of a Dockerfile.</summary>
internal sealed class ParsedDockerfile
{
    /// <summary>The <c># syntax=</c> directive's frontend image, or null when there is none.</summary>
    public string? Syntax { get; init; }

    public IReadOnlyList<DockerfileInstruction> Instructions { get; init; } = [];

    public IReadOnlyList<DockerfileStage> Stages { get; init; } = [];

    public IReadOnlyList<SecretMount> SecretMounts { get; init; } = [];

    public IReadOnlyList<BindMount> BindMounts { get; init; } = [];

    public IReadOnlyList<VariableDeclaration> Variables { get; init; } = [];

    /// <summary>
    /// What the build can take from the context, in every stage (see <see cref="DockerfileContextSources"/>):
    /// the checks before the build and the up-to-date check read these files only.
    /// </summary>
    public IReadOnlyList<ContextSource> ContextSources() => DockerfileContextSources.Of(this);

    /// <summary>
    /// The image the final stage is built on, with global ARGs substituted (build arguments win over
    /// defaults) and stage names followed; null for <c>scratch</c> or when it cannot be told.
    /// </summary>
    public string? FinalBaseImage(IReadOnlyDictionary<string, string> buildArgs)
    {
        var globals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instruction in Instructions.TakeWhile(i => i.Keyword != "FROM").Where(i => i.Keyword == "ARG"))
        {
            foreach (var (name, value) in DockerfileReader.Declarations(instruction.Arguments, legacyEnv: false))
            {
                globals[name] = buildArgs.TryGetValue(name, out var given) ? given : value ?? string.Empty;
            }
        }

        var seen = new HashSet<int>();
        for (var stage = Stages.Count > 0 ? Stages[Stages.Count - 1] : null; stage is not null && seen.Add(stage.Index);)
        {
            var image = DockerfileReader.Substitute(stage.Image, globals);
            var named = Stages.FirstOrDefault(s => s.Index < stage.Index && string.Equals(s.Name, image, StringComparison.OrdinalIgnoreCase));
            if (named is null)
            {
                return image.Length == 0 || image.Contains("$") || string.Equals(image, "scratch", StringComparison.OrdinalIgnoreCase) ? null : image;
            }

            stage = named;
        }

        return null;
    }

    /// <summary>
    /// The line of the instruction that made an image history step (its <c>created_by</c>, such as
    /// <c>RUN /bin/sh -c cp /run/secrets/netrc /app # buildkit</c>), or 0 when no instruction fits:
    /// the RUN, COPY or ADD whose arguments the step quotes, the longest such when several do.
    /// </summary>
    public int LineOfStep(string createdBy)
    {
        var step = Collapse(createdBy);
        var best = (Length: 0, Line: 0);
        foreach (var instruction in Instructions)
        {
            if (instruction.Keyword is not ("RUN" or "COPY" or "ADD"))
            {
                continue;
            }

            var arguments = Collapse(instruction.Arguments);
            if (arguments.Length > best.Length && step.Contains(arguments))
            {
                best = (arguments.Length, instruction.Line);
            }
        }

        return best.Line;
    }

    private static string Collapse(string text) => string.Join(" ", text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
