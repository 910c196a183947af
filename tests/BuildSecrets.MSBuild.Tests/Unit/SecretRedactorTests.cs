using System.Text;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class SecretRedactorTests
{
    private static SecretRedactor For(params (string Id, string Value)[] secrets) =>
        SecretRedactor.For(secrets.ToDictionary(s => s.Id, s => Encoding.UTF8.GetBytes(s.Value)));

    [TestMethod]
    public void The_netrc_password_is_masked_plain_and_encoded_and_the_machine_name_stays_readable()
    {
        var redactor = For(("netrc", "machine 127.0.0.1\nlogin admin\npassword s3cr3t-Canary\n"));

        Assert.AreEqual("token is ***!", redactor.Redact("token is s3cr3t-Canary!"));
        Assert.AreEqual("#7 password ***", redactor.Redact("#7 password s3cr3t-Canary"));
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:s3cr3t-Canary"));
        Assert.IsFalse(redactor.Redact("Authorization: Basic " + basic).Contains(basic[..12], StringComparison.Ordinal), "the HTTP Basic header of login:password");
        Assert.AreEqual("#7 0.12 machine 127.0.0.1", redactor.Redact("#7 0.12 machine 127.0.0.1"), "not secret, left readable");
    }

    [TestMethod]
    public void Redact_names_the_secrets_it_masked()
    {
        var redactor = For(("netrc", "machine h login u password s3cr3t-Canary"), ("token", "tok-0123456789"));

        Assert.AreEqual("#5 0.1 *** and ***", redactor.Redact("#5 0.1 s3cr3t-Canary and tok-0123456789", out var ids));
        CollectionAssert.AreEqual(new[] { "netrc", "token" }, ids.OrderBy(i => i).ToArray());
        redactor.Redact("#5 0.2 nothing here", out var none);
        Assert.AreEqual(0, none.Count);
    }

    [TestMethod]
    public void KEY_VALUE_values_are_masked()
    {
        var redactor = For(("npmrc", "//npm.example.com/:_authToken=abcd-1234-efgh\n"));
        Assert.AreEqual("echo ***", redactor.Redact("echo abcd-1234-efgh"));
    }

    [TestMethod]
    public void Values_shorter_than_the_minimum_are_not_masked_everywhere()
    {
        var redactor = For(("short", "abc"));
        Assert.AreEqual("abc def", redactor.Redact("abc def"));
        Assert.AreEqual(0, redactor.LongestValue);
    }
}
