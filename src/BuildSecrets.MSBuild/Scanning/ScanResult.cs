using System.Collections.Generic;

namespace BuildSecrets.MSBuild.Scanning;

/// <summary>
/// A declared secret found in the image. Never holds the value or a part of it: <see cref="Path"/>
/// and <see cref="Step"/> come from the image with every secret value masked (<c>***</c>).
/// </summary>
/// <param name="SecretId">The secret's id.</param>
/// <param name="Where"><see cref="ImageScanner.InLayer"/>, <see cref="ImageScanner.InConfig"/> or <see cref="ImageScanner.InHistory"/>.</param>
/// <param name="Path">The path inside the image (for a layer) or the config field (<c>config.Env[1]</c>, <c>history[3].created_by</c>).</param>
/// <param name="Step">The Dockerfile step (<c>created_by</c>) that made the layer, or of the history entry; null when unknown.</param>
/// <param name="Form">Which form of the secret was found (<c>whole value</c>, <c>netrc password</c>, <c>base64 of whole value</c>...).</param>
internal sealed record LeakFinding(string SecretId, string Where, string? Path, string? Step, string Form);

/// <summary>A secret (or a part of it) the scan cannot prove absent: too short or too common to search for.</summary>
internal sealed record UnverifiableSecret(string SecretId, string Reason);

/// <summary>What <see cref="ImageScanner.Scan"/> found.</summary>
/// <param name="Leaks">The secrets found in added layers, the config or the history.</param>
/// <param name="Unverifiable">The secrets (or parts) not searched for; the caller warns about each.</param>
/// <param name="LayersScanned">Layers added on top of the base image, searched.</param>
/// <param name="LayersSkipped">Base image layers: not read at all when the archive names them by diff id (OCI layout), otherwise read (to learn their diff id) but their findings dropped.</param>
/// <param name="BytesScanned">Uncompressed layer bytes read and searched (the base layers of the classic layout included).</param>
/// <param name="Layout"><see cref="ImageScanner.ClassicLayout"/> or <see cref="ImageScanner.OciLayout"/>.</param>
internal sealed record ScanResult(
    IReadOnlyList<LeakFinding> Leaks,
    IReadOnlyList<UnverifiableSecret> Unverifiable,
    int LayersScanned,
    int LayersSkipped,
    long BytesScanned,
    string Layout);
