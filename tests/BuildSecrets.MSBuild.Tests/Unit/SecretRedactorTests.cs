using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class SecretRedactorTests
{
    [TestMethod]
    public void The_whole_value_its_lines_and_the_netrc_password_are_masked()
    {
        var redactor = new SecretRedactor();
        redactor.Add("netrc", "machine 127.0.0.1\nlogin admin\npassword s3cr3t-Canary\n");

        Assert.AreEqual("#7 0.12 ***", redactor.Redact("#7 0.12 machine 127.0.0.1"));
        Assert.AreEqual("token is ***!", redactor.Redact("token is s3cr3t-Canary!"));
        Assert.AreEqual("#7 ***", redactor.Redact("#7 password s3cr3t-Canary"));
    }

    [TestMethod]
    public void Redact_names_the_secrets_it_masked()
    {
        var redactor = new SecretRedactor();
        redactor.Add("netrc", "password s3cr3t-Canary");
        redactor.Add("token", "tok-0123456789");

        Assert.AreEqual("#5 0.1 *** and ***", redactor.Redact("#5 0.1 s3cr3t-Canary and tok-0123456789", out var ids));
        CollectionAssert.AreEqual(new[] { "netrc", "token" }, ids.OrderBy(i => i).ToArray());
        redactor.Redact("#5 0.2 nothing here", out var none);
        Assert.AreEqual(0, none.Count);
    }

    [TestMethod]
    public void KEY_VALUE_values_are_masked()
    {
        var redactor = new SecretRedactor();
        redactor.Add("npmrc", "//npm.example.com/:_authToken=abcd-1234-efgh\n");
        Assert.AreEqual("echo ***", redactor.Redact("echo abcd-1234-efgh"));
    }

    [TestMethod]
    public void Values_shorter_than_the_minimum_are_not_masked_everywhere()
    {
        var redactor = new SecretRedactor();
        redactor.Add("short", "abc");
        Assert.AreEqual("abc def", redactor.Redact("abc def"));
    }
}
