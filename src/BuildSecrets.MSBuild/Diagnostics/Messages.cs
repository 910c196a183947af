using System.Collections.Generic;

namespace BuildSecrets.MSBuild.Diagnostics;

/// <summary>
/// Every message the package reports. Codes share the prefix BSEC and are grouped by area:
/// 1xxx project input, 2xxx docker client and engine, 3xxx the build itself, 4xxx leaks found
/// before the build (in the request, the context and the Dockerfile), 5xxx leaks found in the
/// build's output and in the built image. Messages name the thing at fault and say how to fix it;
/// none ever contains a secret value. Those about a Dockerfile carry its path and line.
/// Every message is a factory of the same shape (code, severity, text that names the thing at fault
/// and the fix): the catalog repeats that shape on purpose, so that each code and its words are read
/// in one place and the README's table can be checked against it.
/// </summary>
internal static class Messages
{
    private static Diagnostic Error(string code, string message) => new(code, Severity.Error, message);

    // 1xxx: project input, checked before docker is started.
    public static Diagnostic SecretHasNoSource(string id) => Error(
        "BSEC1001",
        $"DockerSecret '{id}' has no source. Set exactly one of its Source (a file), EnvironmentVariable (a variable name), UserSecret (a key of the project's user secrets), Value or NuGetFeeds=\"true\" metadata.");

    public static Diagnostic SecretHasTwoSources(string id) => Error(
        "BSEC1002",
        $"DockerSecret '{id}' sets more than one of Source, EnvironmentVariable, UserSecret, Value and NuGetFeeds. Keep only one of them.");

    public static Diagnostic SecretFileMissing(string id, string path) => Error(
        "BSEC1003",
        $"DockerSecret '{id}': the source file '{path}' does not exist. Create it, or fix the Source path (relative paths start at the project directory).");

    public static Diagnostic SecretFileUnreadable(string id, string path, string reason) => Error(
        "BSEC1004",
        $"DockerSecret '{id}': the source file '{path}' cannot be read ({reason}). Make it a readable file for the user running the build.");

    public static Diagnostic SecretVariableUnset(string id, string variable) => Error(
        "BSEC1005",
        $"DockerSecret '{id}': the environment variable '{variable}' is not set or is empty. Set it in the environment of the build (for example 'export {variable}=...' before 'dotnet publish').");

    public static Diagnostic SecretDuplicate(string id) => Error(
        "BSEC1006",
        $"DockerSecret '{id}' is declared more than once. Give each secret its own id.");

    public static Diagnostic SecretIdInvalid(string id) => Error(
        "BSEC1007",
        $"DockerSecret id '{id}' is not valid. Use letters, digits, '.', '_' and '-' only, and not '.' or '..' (BuildKit splits secret options on ',' and '=', and the id names the file under /run/secrets).");

    public static Diagnostic SecretVariableNameInvalid(string id, string variable) => Error(
        "BSEC1008",
        $"DockerSecret '{id}': '{variable}' is not a valid environment variable name. Use letters, digits and '_', not starting with a digit.");

    public static Diagnostic DockerfileMissing(string path) => Error(
        "BSEC1009",
        $"The Dockerfile '{path}' does not exist. Add a Dockerfile to the project directory, set DockerfileFile to its path, or set DockerBuildEnabled=false to publish without building an image.");

    public static Diagnostic ContextMissing(string path) => Error(
        "BSEC1010",
        $"The build context folder '{path}' does not exist. Publish first (the default context is the publish folder) or set DockerfileContext to an existing folder.");

    public static Diagnostic BuildArgInvalid(string name) => Error(
        "BSEC1011",
        $"DockerBuildArg '{name}' is not a valid build argument name. Use letters, digits and '_' (no '=', spaces or ',').");

    public static Diagnostic BuildArgDuplicate(string name) => Error(
        "BSEC1012",
        $"DockerBuildArg '{name}' is declared more than once. Keep one item per name.");

    public static Diagnostic RepositoryInvalid(string repository) => Error(
        "BSEC1013",
        $"ContainerRepository '{repository}' is not a valid image name. Use lower-case letters, digits and the separators '.', '_', '-' and '/', starting and ending with a letter or digit.");

    public static Diagnostic TagInvalid(string tag) => Error(
        "BSEC1014",
        $"The image tag '{tag}' is not valid. A tag has at most 128 letters, digits, '_', '.' and '-', and does not start with '.' or '-'. Fix ContainerImageTag or ContainerImageTags.");

    public static Diagnostic SecretValueEmpty(string id) => Error(
        "BSEC1015",
        $"DockerSecret '{id}': its Value is empty (an unset property?). Set the property that holds it, or add Required=\"false\" to build without the secret when it is empty.");

    public static Diagnostic SecretValueInProject(string id) => new(
        "BSEC1016", Severity.Warning,
        $"DockerSecret '{id}' takes its value from the Value metadata: project files, property logs and binary logs (-bl) keep such values. Prefer Source (a file outside the project) or EnvironmentVariable.");

    public static Diagnostic UserSecretsIdMissing(string id) => Error(
        "BSEC1017",
        $"DockerSecret '{id}' reads a user secret, but the project has no UserSecretsId. Run 'dotnet user-secrets init' in the project folder (it adds one), or set the UserSecretsId property.");

    public static Diagnostic UserSecretsFileMissing(string id, string path) => Error(
        "BSEC1018",
        $"DockerSecret '{id}' reads a user secret, but '{path}' does not exist. Set the secret with 'dotnet user-secrets set \"<Section:Key>\" \"<value>\"' in the project folder, or add Required=\"false\".");

    public static Diagnostic UserSecretKeyMissing(string id, string key, string path) => Error(
        "BSEC1019",
        $"DockerSecret '{id}': the user secret '{key}' is not in '{path}'. Set it with 'dotnet user-secrets set \"{key}\" \"<value>\"' in the project folder, or add Required=\"false\".");

    public static Diagnostic UserSecretsFileInvalid(string id, string path) => Error(
        "BSEC1020",
        $"DockerSecret '{id}': the user secrets file '{path}' is not valid JSON. Fix it, or recreate it with 'dotnet user-secrets clear' and 'dotnet user-secrets set'.");

    public static Diagnostic SshAgentMissing(string id, string? socket) => Error(
        "BSEC1021",
        socket is null
            ? $"DockerSsh '{id}' forwards the SSH agent, but SSH_AUTH_SOCK is not set. Start an agent and add your key (eval \"$(ssh-agent)\"; ssh-add), or give the item a Source key file."
            : $"DockerSsh '{id}' forwards the SSH agent, but its socket '{socket}' (SSH_AUTH_SOCK) does not exist. Start the agent again (eval \"$(ssh-agent)\"; ssh-add), or give the item a Source key file.");

    public static Diagnostic SshKeyMissing(string id, string path) => Error(
        "BSEC1022",
        $"DockerSsh '{id}': the key file '{path}' does not exist. Fix the Source path (relative paths start at the project directory), or forward the agent with <DockerSsh Include=\"default\" />.");

    public static Diagnostic SshIdInvalid(string id) => Error(
        "BSEC1023",
        $"DockerSsh id '{id}' is not valid, or is declared twice. Use letters, digits, '.', '_' and '-' once each; the Dockerfile mounts it with RUN --mount=type=ssh,id={id}.");

    public static Diagnostic SdkContainerPublishConflict(string reference) => Error(
        "BSEC1040",
        $"The .NET SDK's container support (target PublishContainer: -t:PublishContainer, PublishProfile=DefaultContainer or WebPublishMethod=Container) runs in the same publish as this package's image build, and would write an image this package never scans over '{reference}'. Publish with one of them: leave out -t:PublishContainer and the container publish profile to build the Dockerfile with its secrets (the image is scanned), or set DockerBuildEnabled=false to let the SDK build its image without the Dockerfile and its secrets.");

    public static Diagnostic NuGetConfigUnreadable(string id, string where, string reason) => Error(
        "BSEC1030",
        $"DockerSecret '{id}' (NuGetFeeds): the NuGet configuration '{where}' cannot be used: {reason}. Fix it (NuGet's restore reads it too), or remove it.");

    public static Diagnostic NuGetFeedCredentialsUnreadable(string id, string source, string where, string reason) => Error(
        "BSEC1031",
        $"DockerSecret '{id}' (NuGetFeeds): the credentials of the NuGet source '{source}' in {where} cannot be read: {reason}.");

    public static Diagnostic NuGetFeedCredentialsMissing(string id, string source, string url) => Error(
        "BSEC1032",
        $"DockerSecret '{id}' (NuGetFeeds): the NuGet source '{source}' ({url}) needs credentials and this machine has none for it. Set the variable {Secrets.NuGetFeedsConfig.CredentialsVariablePrefix}{source}='Username=<user>;Password=<token>', add <packageSourceCredentials><{System.Xml.XmlConvert.EncodeLocalName(source)}> with Username and ClearTextPassword to your user NuGet.Config (never to one inside the build context), or list the feed in {Secrets.NuGetFeedsConfig.VssEndpointsVariable}.");

    public static Diagnostic NuGetAuthenticatedFeedUnknown(string id, string feed, IReadOnlyList<string> sources) => Error(
        "BSEC1033",
        $"DockerSecret '{id}': NuGetAuthenticatedFeeds names '{feed}', which is not an enabled network source of the project (its sources: {(sources.Count == 0 ? "none" : string.Join(", ", sources))}). Use a source's name or URL from the project's NuGet configuration.");

    // 2xxx: the docker client and the engine.
    public static Diagnostic CliNotFound(string cli) => Error(
        "BSEC2001",
        $"The docker client '{cli}' was not found. Install Docker (or a docker-compatible client), put it on PATH, or set DockerCli to its full path.");

    public static Diagnostic EngineUnreachable(string cli, string detail) => Error(
        "BSEC2002",
        $"No container engine answered the docker client '{cli}': {detail} Start one (Docker Desktop, 'sudo systemctl start docker', or 'dockerd &'), or point DOCKER_HOST at a running engine.");

    public static Diagnostic BuildxMissing(string cli, string version) => Error(
        "BSEC2003",
        $"The docker client '{cli}' (version {version}) has no buildx plugin, and Docker 23 and later build with BuildKit only through buildx. Install the buildx plugin (package docker-buildx-plugin or docker-buildx), or set DockerCli to a client that has it.");

    public static Diagnostic ClientWithoutBuildKit(string cli, string version) => Error(
        "BSEC2004",
        $"The docker client '{cli}' (version '{version}') cannot run BuildKit builds with secrets. Use Docker 18.09 or later (with the buildx plugin for 23 and later), or set DockerCli to such a client.");

    public static Diagnostic CliFailed(string cli, string command, int exitCode, string output) => Error(
        "BSEC2005",
        $"'{cli} {command}' failed with exit code {exitCode}: {output} Check that the docker client works ('{cli} {command}' in a terminal).");

    public static Diagnostic NeedsBuildx(string cli, string property, string how) => Error(
        "BSEC2006",
        $"{property} needs docker buildx, and the docker client '{cli}' builds without it ({how}). Install the buildx plugin, set DockerCli to a client that has it, or remove {property}.");

    public static Diagnostic PushFailed(string reference, int exitCode, string detail) => Error(
        "BSEC2007",
        $"'docker push {reference}' failed with exit code {exitCode}: {detail} Check that the registry in ContainerRegistry is reachable and that you are logged in ('docker login <registry>').");

    // 3xxx: the build.
    public static Diagnostic BuildFailed(string step, int exitCode, string detail) => Error(
        "BSEC3001",
        $"docker build failed (exit code {exitCode}) at step {step}.{detail} Fix the failing step in the Dockerfile; the full BuildKit output is in the build log at normal verbosity.");

    public static Diagnostic BuildProducedNoImage(string idFile) => Error(
        "BSEC3002",
        $"docker build succeeded but wrote no image id to '{idFile}'. Check that the docker client supports --iidfile, or set DockerCli to one that does.");

    public static Diagnostic BuildCanceled() => new(
        "BSEC3003", Severity.Warning,
        "The image build was canceled; the docker client was stopped and no image was tagged.");

    // 4xxx: leaks found before the build (docker is not started when one is an error).
    private static Diagnostic Warning(string code, string message) => new(code, Severity.Warning, message);

    public static Diagnostic SecretInContext(string id, string path, string context) => Error(
        "BSEC4001",
        $"DockerSecret '{id}': its source '{path}' is inside the build context '{context}' and no .dockerignore rule excludes it, so 'COPY . ...' would copy it into the image. Keep the secret file outside the context, or exclude it in the context's .dockerignore.");

    public static Diagnostic SecretCopyInContext(string id, string path, string context) => Error(
        "BSEC4002",
        $"The file '{path}' in the build context '{context}' contains the value of DockerSecret '{id}' (publish may have copied it there), and no .dockerignore rule excludes it. Stop copying the secret to the publish output (CopyToPublishDirectory), or exclude the file in the context's .dockerignore.");

    public static Diagnostic SecretInBuildArg(string id, string buildArg) => Error(
        "BSEC4003",
        $"DockerBuildArg '{buildArg}' carries the value of DockerSecret '{id}'. Build arguments stay in the image history: remove it and mount the secret instead (RUN --mount=type=secret,id={id}).");

    public static Diagnostic SecretInDockerfile(string id, string dockerfile, int line) => Error(
        "BSEC4004",
        $"The Dockerfile '{dockerfile}' contains the value of DockerSecret '{id}' (line {line}). An ENV, ARG or RUN that holds it stays in the image: remove it and mount the secret instead (RUN --mount=type=secret,id={id}).").At(dockerfile, line);

    public static Diagnostic RequiredMountUndeclared(string id, string target, string dockerfile, int line) => Error(
        "BSEC4005",
        $"The Dockerfile '{dockerfile}' mounts the secret '{id}' at '{target}' with required=true (line {line}), but the project declares no DockerSecret '{id}'. Add <DockerSecret Include=\"{id}\" Source=\"...\" /> (or EnvironmentVariable=\"...\").").At(dockerfile, line);

    public static Diagnostic MountUndeclared(string id, string target, string dockerfile, int line) => Warning(
        "BSEC4006",
        $"The Dockerfile '{dockerfile}' mounts the secret '{id}' at '{target}' (line {line}), but the project declares no DockerSecret '{id}', so the step runs without it. Declare it, or remove the mount.").At(dockerfile, line);

    public static Diagnostic SecretNotMounted(string id, string dockerfile) => Warning(
        "BSEC4007",
        $"DockerSecret '{id}' is declared, but no RUN step of '{dockerfile}' mounts it. Mount it (RUN --mount=type=secret,id={id} ...) or remove the item.").At(dockerfile);

    public static Diagnostic CredentialLikeVariable(string kind, string name, string dockerfile, int line) => Warning(
        "BSEC4008",
        $"{kind} '{name}' in '{dockerfile}' (line {line}) looks like a credential; {kind} values are kept in the image's history and config. Pass credentials as a DockerSecret and mount them (RUN --mount=type=secret,id=...) instead.").At(dockerfile, line);

    public static Diagnostic DockerfileUnreadable(string dockerfile, int line, string problem) => Error(
        "BSEC4009",
        $"The Dockerfile '{dockerfile}' cannot be checked: {problem} (line {line}). Fix the Dockerfile.").At(dockerfile, line);

    public static Diagnostic BuildCheck(string rule, string description, string dockerfile, int? line) => Warning(
        "BSEC4010",
        $"Build check {rule}: {description} ({dockerfile}{(line is null ? string.Empty : $", line {line}")}). See https://docs.docker.com/go/dockerfile/rule/ for the rule; set DockerBuildChecks=false to skip the checks.").At(dockerfile, line ?? 0);

    // 5xxx: leaks found in the build's output and in the built image.
    private const string CacheAdvice =
        " The build cache still holds the leaky step: remove it with 'docker builder prune' ('docker buildx prune' with buildx, 'podman image prune' with Podman), or set DockerBuildPruneOnLeak=true to have it removed after every leak.";

    public static Diagnostic SecretInLayer(string id, string form, string path, string? step) => Error(
        "BSEC5001",
        $"The image contains the value of DockerSecret '{id}' ({form}) in '{path}', in the layer made by '{step ?? "(unknown step)"}'. The image was removed, untagged. Do not copy the mounted secret into the image: use it only inside the RUN step that mounts it." + CacheAdvice);

    public static Diagnostic SecretInConfig(string id, string form, string field) => Error(
        "BSEC5002",
        $"The image configuration holds the value of DockerSecret '{id}' ({form}) in {field}. The image was removed, untagged. Remove it from ENV, LABEL, CMD and ENTRYPOINT, and mount the secret where it is needed." + CacheAdvice);

    public static Diagnostic SecretInHistory(string id, string form, string step) => Error(
        "BSEC5003",
        $"The image history holds the value of DockerSecret '{id}' ({form}) in the step '{step}'. The image was removed, untagged. Pass the secret as a mount, not as an argument or a command line." + CacheAdvice);

    public static Diagnostic SecretNotVerifiable(string id, string reason) => Warning(
        "BSEC5004",
        $"DockerSecret '{id}' cannot be searched for reliably ({reason}), so the image was not proven free of it. Use a longer, random value.");

    public static Diagnostic SecretInBuildOutput(string id, string step) => Error(
        "BSEC5005",
        $"The build printed the value of DockerSecret '{id}' in the step '{step}' (masked as *** in this log). The image was removed, untagged. Do not print the mounted secret (cat, echo, set -x) in RUN steps; BuildKit keeps build output in its logs and caches." + CacheAdvice);

    public static Diagnostic ScanFailed(string detail) => Error(
        "BSEC5006",
        $"The built image could not be scanned for the declared secrets: {detail} The image was removed, untagged, because it is not proven clean. Set DockerSecretScan=false to publish without the scan (see README).");

    public static Diagnostic CachedStepWithEarlierSecret(string id, string step, bool changed) => Warning(
        "BSEC5008",
        $"The step '{step}' was taken from the build cache, and it mounts DockerSecret '{id}', {(changed ? "whose value changed since the step last ran" : "whose value when the step last ran is not known")}. BuildKit's cache ignores a secret's content: if the step copied the secret, the image holds the earlier value, which the scan cannot search for. Set Rotate=\"true\" on the DockerSecret (the step then re-runs when the value changes), or publish once with DockerBuildNoCache=true.");

    public static Diagnostic CacheExportDiffers(string proven, string exported) => Error(
        "BSEC3004",
        $"The build that exports the cache (DockerBuildCacheTo) made image '{exported}', whose layers are not those of the proven image '{proven}', so the exported cache may hold layers that were not scanned. Make the build reproducible from its cache (no steps that change on every run), or remove DockerBuildCacheTo.");

    public static Diagnostic LayerNotReadable(string entry, string compression) => Error(
        "BSEC5009",
        $"The built image could not be scanned for the declared secrets: its layer '{entry}' is {compression}-compressed, and the scan reads only plain and gzip layers. The image was removed, untagged, because it is not proven clean. Build with gzip layers (remove compression={compression} from DockerBuildOptions or the builder's output), or set DockerSecretScan=false (see README).");

    public static Diagnostic ScanSkipped() => Warning(
        "BSEC5007",
        "DockerSecretScan is false: the built image was not scanned for the declared secrets, and a secret a step copied into a layer would go unnoticed.");
}
