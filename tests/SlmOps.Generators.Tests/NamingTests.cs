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
