using Microsoft.CodeAnalysis.CSharp;
using SlmOps.Contracts;

namespace SlmOps.Generators.Tests;

public class NamingTests
{
    [Theory]
    [InlineData("input_ids", "InputIds")]
    [InlineData("past_key_values.0.key", "PastKeyValues0Key")]
    [InlineData("last_hidden_state", "LastHiddenState")]
    [InlineData("attentionMask", "AttentionMask")]
    [InlineData("0", "_0")]
    [InlineData("1st-token", "_1stToken")]
    [InlineData("...", "Value")]
    [InlineData("données", "Données")]
    public void Onnx_names_become_pascal_case_identifiers(string onnx, string expected)
    {
        Assert.Equal(expected, Naming.ToPascalCase(onnx));
    }

    [Theory]
    [InlineData("InputIds", "inputIds")]
    [InlineData("Class", "@class")]
    [InlineData("_0", "_0")]
    [InlineData("Int", "@int")]
    public void Parameter_names_are_camel_case_with_keywords_escaped(string member, string expected)
    {
        Assert.Equal(expected, Naming.ToParameterName(member));
    }

    [Fact]
    public void Colliding_names_get_the_smallest_free_numeric_suffix_in_graph_order()
    {
        string[] names = Naming.UniqueMemberNames(new[] { "x", "X", "x2", "run", "model" }, new[] { "Run", "Model" });

        Assert.Equal(new[] { "X", "X2", "X22", "Run2", "Model2" }, names);
    }
}

/// <summary>
/// The tasks, the worker and the generator share <see cref="SlmOps.Contracts.ModelRules"/>, which cannot use Roslyn (the
/// tasks load nothing but MSBuild). These tests hold it to the compiler's own answer.
/// </summary>
public class ModelRulesAgainstRoslynTests
{
    public static TheoryData<string> Names()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal)
        {
            "MiniLm", "_", "__", "_0", "a1", "x\u0301", "\u00e9t\u00e9", "\u2160Roman", "a\u200db", "a\u203fb", "\u0661a", "a\u0661",
            "2b", "a-b", "a.b", "a b", "@a", "", "\u00a0", "\ud83d\ude00", "var", "async", "record", "nameof", "value",
        };
        foreach (var kind in SyntaxFacts.GetKeywordKinds()) names.Add(SyntaxFacts.GetText(kind));
        foreach (var kind in SyntaxFacts.GetContextualKeywordKinds()) names.Add(SyntaxFacts.GetText(kind));
        var data = new TheoryData<string>();
        foreach (string name in names) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_name_is_an_identifier_exactly_when_the_compiler_says_so(string name) =>
        Assert.Equal(Roslyn(name), ModelRules.IsIdentifier(name));

    [Fact]
    public void Every_character_of_the_basic_multilingual_plane_is_classified_as_the_compiler_does()
    {
        for (int c = 1; c <= 0xFFFF; c++)
        {
            string start = ((char)c).ToString();
            string part = "A" + (char)c;
            Assert.True(Roslyn(start) == ModelRules.IsIdentifier(start), $"start U+{c:X4}");
            Assert.True(Roslyn(part) == ModelRules.IsIdentifier(part), $"part U+{c:X4}");
        }
    }

    private static bool Roslyn(string name) => SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None;
}
