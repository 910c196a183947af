using System.Globalization;
using System.Text;

namespace BuildSecrets.MSBuild.Text;

/// <summary>Bytes as hexadecimal text: layer digests, rotation versions, and the hex form of a secret.</summary>
internal static class Hex
{
    public static string Of(byte[] bytes, int count, bool upper = false)
    {
        var text = new StringBuilder(count * 2);
        for (var i = 0; i < count; i++)
        {
            text.Append(bytes[i].ToString(upper ? "X2" : "x2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    public static string Of(byte[] bytes, bool upper = false) => Of(bytes, bytes.Length, upper);

    /// <summary>The SHA-256 of data that is not secret (a file's content, a list of inputs), as 64 hex digits.</summary>
    public static string Sha256(byte[] data)
    {
#if NET
        return Of(System.Security.Cryptography.SHA256.HashData(data));
#else
        using var sha = System.Security.Cryptography.SHA256.Create();
        return Of(sha.ComputeHash(data));
#endif
    }
}
