namespace Contoso.Greetings;

/// <summary>The greeting of the private package.</summary>
public static class Greeting
{
    public static string Text => "Hello from the private feed";
}
