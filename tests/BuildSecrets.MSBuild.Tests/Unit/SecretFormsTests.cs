using System.Security.Cryptography;
using System.Text;
using BuildSecrets.MSBuild.Leaks;
using BuildSecrets.MSBuild.Text;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>Every form of a secret the search strings must find, and what they must not mistake for one.</summary>
[TestClass]
public sealed class SecretFormsTests
{
    private static readonly Encoding Latin1 = Encoding.GetEncoding(28591);

    private static string Random(int bytes) => Convert.ToHexString(RandomNumberGenerator.GetBytes(bytes)).ToLowerInvariant();

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The needles that occur in the content, padded with unrelated bytes on both sides.</summary>
    private static Needle[] Found(byte[] secret, byte[] content)
    {
        var padded = RandomNumberGenerator.GetBytes(100).Concat(content).Concat(RandomNumberGenerator.GetBytes(100)).ToArray();
        return SecretValues.Needles("s", secret).Where(n => MultiPatternSearch.Contains(padded, n.Bytes)).ToArray();
    }

    private static void AssertFound(byte[] secret, byte[] content, SecretForm form, SecretEncoding? encoding = null)
    {
        var found = Found(secret, content);
        Assert.IsTrue(found.Any(n => n.Form == form && (encoding is null || n.Encoding == encoding)), $"expected {form}/{encoding}; found: {string.Join(", ", found.Select(n => $"{n.Form}/{n.Encoding}"))}");
    }

    [TestMethod]
    public void A_binary_secret_copied_byte_for_byte_is_found_and_so_is_its_base64()
    {
        var pfx = RandomNumberGenerator.GetBytes(1500);
        pfx[0] = 0x30;
        AssertFound(pfx, pfx, SecretForm.Binary, SecretEncoding.Plain);
        AssertFound(pfx, pfx.Skip(400).Take(1000).ToArray(), SecretForm.Binary, SecretEncoding.Plain);
        AssertFound(pfx, Utf8(Convert.ToBase64String(pfx, Base64FormattingOptions.InsertLineBreaks)), SecretForm.Binary, SecretEncoding.Base64);
    }

    [TestMethod]
    public void A_Latin1_netrc_is_found_in_Latin1_and_in_UTF8()
    {
        var password = "Pässwörd-" + Random(6);
        var netrc = Latin1.GetBytes($"machine h\nlogin u\npassword {password}\n");
        AssertFound(netrc, netrc, SecretForm.NetrcPassword, SecretEncoding.Latin1);
        AssertFound(netrc, Utf8("PASSWORD=" + password), SecretForm.NetrcPassword, SecretEncoding.Plain);
    }

    [TestMethod]
    public void A_UTF16_secret_file_is_read_as_text_and_found_in_UTF8()
    {
        var token = "tok-" + Random(12);
        var utf16 = new byte[] { 0xFF, 0xFE }.Concat(Encoding.Unicode.GetBytes(token)).ToArray();
        AssertFound(utf16, Utf8(token), SecretForm.WholeValue, SecretEncoding.Plain);
        AssertFound(utf16, Encoding.Unicode.GetBytes(token), SecretForm.WholeValue, SecretEncoding.Utf16LittleEndian);
    }

    [TestMethod]
    public void A_netrc_is_found_as_the_HTTP_Basic_header_a_verbose_client_prints()
    {
        var password = "pw-" + Random(10);
        var header = "Authorization: Basic " + Convert.ToBase64String(Utf8("admin:" + password));
        var found = Found(Utf8($"machine 127.0.0.1 login admin password {password}"), Utf8(header));
        Assert.IsTrue(found.Any(n => n.Encoding == SecretEncoding.Base64), "base64 of login:password holds a base64 piece of the password at one of the three alignments");
    }

    [TestMethod]
    public void A_token_kept_as_a_netrc_login_is_found()
    {
        var token = "ghp_" + Random(18);
        AssertFound(Utf8($"machine github.com\nlogin {token}\npassword x-oauth-basic\n"), Utf8("git clone https://" + token + "@github.com/o/r"), SecretForm.NetrcLogin);
    }

    [TestMethod]
    public void One_field_of_a_JSON_key_and_its_PEM_key_with_real_line_breaks_are_found()
    {
        var der = RandomNumberGenerator.GetBytes(600);
        var pem = "-----BEGIN PRIVATE KEY-----\n" + Convert.ToBase64String(der, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n-----END PRIVATE KEY-----\n";
        var keyId = Random(20);
        var json = $$"""{"type": "service_account", "project_id": "demo", "private_key_id": "{{keyId}}", "private_key": "{{pem.Replace("\n", "\\n", StringComparison.Ordinal)}}", "client_email": "a@demo.iam.example.com", "token_uri": "https://oauth2.example.com/token"}""";

        AssertFound(Utf8(json), Utf8("id=" + keyId), SecretForm.JsonValue);
        AssertFound(Utf8(json), Utf8(pem), SecretForm.PemBody);
        AssertFound(Utf8(json), der, SecretForm.PemBody, SecretEncoding.Plain);
    }

    [TestMethod]
    public void Several_keys_of_an_env_file_are_each_found()
    {
        var database = "db-" + Random(10);
        var stripe = "sk_live_" + Random(12);
        var env = Utf8($"HOST=db.internal\nDATABASE_PASSWORD={database}\nPAYMENTS={stripe}\nPORT=5432\n");
        AssertFound(env, Utf8(database), SecretForm.KeyValueValue);
        AssertFound(env, Utf8(stripe), SecretForm.KeyValueValue);
        Assert.AreEqual(0, Found(env, Utf8("HOST=db.internal PORT=5432")).Length, "what is not secret is not searched");
    }

    [TestMethod]
    public void The_password_inside_a_URL_or_a_connection_string_is_found()
    {
        var password = "Pw" + Random(8);
        AssertFound(Utf8($"https://deploy:{password}@git.example.com\n"), Utf8(password), SecretForm.UrlPassword);
        AssertFound(Utf8($"Server=db;User Id=app;Password={password};"), Utf8(password), SecretForm.KeyValueValue);
    }

    [TestMethod]
    public void A_NuGet_config_password_is_found_in_any_attribute_order_and_XML_escaped()
    {
        var password = "a&b<c-" + Random(8);
        var escaped = System.Security.SecurityElement.Escape(password);
        var config = Utf8($"<configuration><packageSourceCredentials><feed><add value=\"{escaped}\" key=\"ClearTextPassword\" /></feed></packageSourceCredentials></configuration>");
        AssertFound(config, Utf8(password), SecretForm.ClearTextPassword, SecretEncoding.Plain);
        AssertFound(config, Utf8($"<add key=\"ClearTextPassword\" value=\"{escaped}\" />"), SecretForm.ClearTextPassword, SecretEncoding.XmlEscaped);
    }

    [TestMethod]
    [DataRow("base64 wrapped at 76 columns")]
    [DataRow("URL-safe base64")]
    [DataRow("hex")]
    [DataRow("URL encoding")]
    [DataRow("UTF-16")]
    [DataRow("JSON escaping")]
    public void A_token_is_found_in_every_encoding(string encoding)
    {
        var token = "t/o+k\"en?" + Random(40);
        var bytes = Utf8("prefix that shifts the alignment " + token + " and a long tail after it so that wrapping happens");
        var content = encoding switch
        {
            "base64 wrapped at 76 columns" => Utf8(Convert.ToBase64String(bytes, Base64FormattingOptions.InsertLineBreaks)),
            "URL-safe base64" => Utf8(Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_')),
            "hex" => Utf8(Convert.ToHexString(Utf8(token))),
            "URL encoding" => Utf8(Uri.EscapeDataString(token)),
            "UTF-16" => Encoding.BigEndianUnicode.GetBytes(token),
            _ => Utf8(System.Text.Json.JsonSerializer.Serialize(token)),
        };

        Assert.IsTrue(Found(Utf8(token), content).Length > 0, encoding);
    }

    [TestMethod]
    public void Format_boilerplate_is_never_a_search_string()
    {
        var pem = "-----BEGIN PRIVATE KEY-----\n" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(300), Base64FormattingOptions.InsertLineBreaks) + "\n-----END PRIVATE KEY-----\n";
        var otherKey = "-----BEGIN PRIVATE KEY-----\n" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(300), Base64FormattingOptions.InsertLineBreaks) + "\n-----END PRIVATE KEY-----\n";
        Assert.AreEqual(0, Found(Utf8(pem), Utf8(otherKey)).Length, "another key shares only the BEGIN and END lines");

        var json = Utf8($$"""{"type": "service_account", "auth_uri": "https://accounts.example.com/o/oauth2/auth", "private_key_id": "{{Random(20)}}"}""");
        var otherJson = Utf8("""{"type": "service_account", "auth_uri": "https://accounts.example.com/o/oauth2/auth", "private_key_id": "0000"}""");
        Assert.AreEqual(0, Found(json, otherJson).Length, "another key file shares only the structure and the public URLs");
    }
}
