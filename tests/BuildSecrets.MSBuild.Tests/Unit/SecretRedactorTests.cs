using BuildSecrets.MSBuild.Docker;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class SecretRedactorTests
{
    [TestMethod]
    public void The_whole_value_its_lines_and_the_netrc_password_are_masked()
    {
        var redactor = new SecretRedactor();
        redactor.Add("machine 127.0.0.1\nlogin admin\npassword s3cr3t-Canary\n");

        Assert.AreEqual("#7 0.12 ***", redactor.Redact("#7 0.12 machine 127.0.0.1"));
        Assert.AreEqual("token is ***!", redactor.Redact("token is s3cr3t-Canary!"));
        Assert.AreEqual("#7 ***", redactor.Redact("#7 password s3cr3t-Canary"));
    }

    [TestMethod]
    public void KEY_VALUE_values_are_masked()
    {
        var redactor = new SecretRedactor();
        redactor.Add("//npm.example.com/:_authToken=abcd-1234-efgh\n");
        Assert.AreEqual("echo ***", redactor.Redact("echo abcd-1234-efgh"));
    }

    [TestMethod]
    public void Values_shorter_than_the_minimum_are_not_masked_everywhere()
    {
        var redactor = new SecretRedactor();
        redactor.Add("abc");
        Assert.IsTrue(redactor.IsEmpty);
        Assert.AreEqual("abc def", redactor.Redact("abc def"));
    }
}
