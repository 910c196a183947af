using System.Text;
using BuildSecrets.MSBuild.Progress;
using BuildSecrets.MSBuild.Secrets;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>The build output masked as a stream: values split across lines or broken by escape codes.</summary>
[TestClass]
public sealed class OutputRedactorTests
{
    private const string Token = "tok-7c1e9a5f3b2d4e6a";

    private readonly List<(string Line, ProgressLineKind Kind, IReadOnlyList<string> Ids)> _emitted = [];

    private OutputRedactor Redactor() =>
        new(SecretRedactor.For(new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(Token) }), (line, kind, ids) => _emitted.Add((line, kind, ids)));

    private string Log => string.Join("\n", _emitted.Select(e => e.Line));

    [TestMethod]
    public void A_value_printed_one_character_a_line_is_masked_and_named()
    {
        var output = Redactor();
        output.Add("#6 [2/2] RUN --mount=type=secret,id=token fold -w1 /run/secrets/token", ProgressLineKind.StepStart);
        foreach (var c in Token)
        {
            output.Add($"#6 0.051 {c}", ProgressLineKind.Other);
        }

        output.Add("#6 DONE 0.1s", ProgressLineKind.Other);

        Assert.IsFalse(Log.Replace("\n#6 0.051 ", string.Empty, StringComparison.Ordinal).Contains(Token[4..], StringComparison.Ordinal), Log);
        Assert.IsTrue(_emitted.Any(e => e.Ids.Contains("token")));
        Assert.AreEqual("#6 DONE 0.1s", _emitted[^1].Line, "lines keep their order");
        Assert.AreEqual(Token.Length + 2, _emitted.Count, "no line is lost");
    }

    [TestMethod]
    public void A_value_broken_up_by_colour_codes_is_masked()
    {
        var output = Redactor();
        output.Add($"#7 0.2 the token is \x1B[31m{Token[..8]}\x1B[0m{Token[8..]} today", ProgressLineKind.Other);
        output.Complete();

        Assert.AreEqual("#7 0.2 ***", _emitted.Single().Line);
        CollectionAssert.AreEqual(new[] { "token" }, _emitted.Single().Ids.ToArray());
    }

    [TestMethod]
    public void A_value_split_across_two_writes_is_masked()
    {
        var output = Redactor();
        output.Add($"#8 0.3 {Token[..10]}", ProgressLineKind.Other);
        output.Add($"#8 0.3 {Token[10..]} and more", ProgressLineKind.Other);
        output.Complete();

        Assert.IsFalse(Log.Contains(Token[..10], StringComparison.Ordinal), Log);
        Assert.IsFalse(Log.Contains(Token[10..], StringComparison.Ordinal), Log);
    }

    [TestMethod]
    public void Ordinary_output_passes_unchanged_and_a_step_start_is_not_held_back()
    {
        var output = Redactor();
        output.Add("#5 [1/2] FROM base", ProgressLineKind.StepStart);
        Assert.AreEqual(1, _emitted.Count, "a step start goes out at once");
        output.Add("#5 0.1 nothing secret here", ProgressLineKind.Other);
        output.Add("#5 DONE 0.2s", ProgressLineKind.Other);

        CollectionAssert.AreEqual(new[] { "#5 [1/2] FROM base", "#5 0.1 nothing secret here", "#5 DONE 0.2s" }, _emitted.Select(e => e.Line).ToArray());
        Assert.AreEqual(ProgressLineKind.StepStart, _emitted[0].Kind);
    }
}
