namespace SlmOps.Build.Tasks.Tests;

public class IdentifiersTests
{
    [Theory]
    [InlineData("all-MiniLM-L6-v2", "AllMiniLML6V2")]
    [InlineData("model", "Model")]
    [InlineData("phi_3.5-mini", "Phi35Mini")]
    [InlineData("2b-chat", "_2bChat")]
    [InlineData("---", "_")]
    public void Default_class_names_are_pascal_case_identifiers(string file, string expected)
    {
        Assert.Equal(expected, Identifiers.ToPascalCase(file));
        Assert.True(Identifiers.IsValidIdentifier(expected));
    }
}
