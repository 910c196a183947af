using System.Text.RegularExpressions;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>
/// The rule for what is distinctive enough to search for, so that common words and format
/// boilerplate never become search strings: at least 8 characters, not a well-known weak value, not
/// repetitive (at least 2.5 bits of entropy a character); and for a part that is not itself a
/// credential (a login, a JSON or .env value whose key names nothing secret) it must also look
/// random: 16 characters or more, 3.5 bits a character, and not a URL, an e-mail address or a path.
/// </summary>
internal static class Distinctiveness
{
    public const int MinimumLength = 8;
    private const int RandomLength = 16;
    private const double MinimumEntropy = 2.5;
    private const double RandomEntropy = 3.5;

    private static readonly HashSet<string> CommonValues = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passw0rd", "password1", "12345678", "123456789", "1234567890", "changeme", "changeit", "secret12",
        "administrator", "qwertyui", "letmein1", "welcome1", "iloveyou", "trustno1", "abcdefgh", "00000000", "11111111",
        "localhost", "127.0.0.1", "ClearTextPassword", "packageSourceCredentials", "service_account",
    };

    private static readonly Regex CredentialName = new("pass|pwd|token|secret|auth|key|credential|cert|private", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex NotRandom = new(@"://|^[\w.+\-]+@[\w\-]+\.[\w.]+$|^/|^[A-Za-z]:\\|^-----", RegexOptions.CultureInvariant);

    /// <summary>Whether a key, attribute or variable name says its value is a credential.</summary>
    public static bool NamesCredential(string name) => CredentialName.IsMatch(name);

    /// <summary>Why a fragment is not searched for, or null when it is.</summary>
    public static string? WhyNot(SecretFragment fragment) =>
        fragment.Text is not { } text ? WhyNot(fragment.Bytes!)
        : fragment.Form is not (SecretForm.WholeValue or SecretForm.Line) && text.Contains("://") ? "a URL, not a credential"
        : WhyNot(text, MustLookRandom(fragment));

    /// <summary>Why text is not searched for, or null when it is.</summary>
    public static string? WhyNot(string text, bool mustLookRandom = false)
    {
        if (text.Length < MinimumLength)
        {
            return $"shorter than {MinimumLength} characters";
        }

        if (CommonValues.Contains(text) || text.StartsWith("-----", StringComparison.Ordinal))
        {
            return "too common";
        }

        var entropy = Entropy(text);
        if (entropy < MinimumEntropy)
        {
            return "too repetitive";
        }

        return mustLookRandom && (text.Length < RandomLength || entropy < RandomEntropy || NotRandom.IsMatch(text)) ? "not random enough to tell from ordinary text" : null;
    }

    private static string? WhyNot(byte[] bytes) =>
        bytes.Length < MinimumLength ? $"shorter than {MinimumLength} bytes" : bytes.Distinct().Count() < 4 ? "too repetitive" : null;

    /// <summary>Parts that are not credentials themselves are searched only when they look like generated secrets.</summary>
    private static bool MustLookRandom(SecretFragment fragment) =>
        !fragment.IsCredential && fragment.Form is SecretForm.KeyValueValue or SecretForm.JsonValue or SecretForm.NetrcLogin;

    /// <summary>Shannon entropy in bits a character.</summary>
    internal static double Entropy(string text)
    {
        var entropy = 0.0;
        foreach (var group in text.GroupBy(c => c))
        {
            var p = (double)group.Count() / text.Length;
            entropy -= p * Math.Log(p, 2);
        }

        return entropy;
    }
}
