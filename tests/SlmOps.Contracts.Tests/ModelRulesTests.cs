using SlmOps.Contracts;

namespace SlmOps.Contracts.Tests;

public class ModelRulesTests
{
    [Theory]
    [InlineData("all-MiniLM-L6-v2", "AllMiniLML6V2")]
    [InlineData("model", "Model")]
    [InlineData("phi_3.5-mini", "Phi35Mini")]
    [InlineData("2b-chat", "_2bChat")]
    [InlineData("---", "_")]
    public void Default_class_names_are_pascal_case_identifiers(string file, string expected)
    {
        Assert.Equal(expected, ModelRules.ToPascalCase(file, "_"));
        Assert.Null(ModelRules.ClassNameProblem(expected));
    }

    [Theory]
    [InlineData("MiniLm", null)]
    [InlineData("_2bChat", null)]
    [InlineData("Ünïcode", null)]
    [InlineData("", "it is empty")]
    [InlineData("2Fast", "it is not a C# identifier")]
    [InlineData("Mini-Lm", "it is not a C# identifier")]
    [InlineData("@Mini", "it is not a C# identifier")]
    [InlineData("class", "it is a C# keyword")]
    [InlineData("__arglist", "it is a C# keyword")]
    [InlineData("minilm", "type names of only lower-case ASCII letters are reserved for C# keywords")]
    [InlineData("Load", "the wrapper declares a member of that name, and a member cannot have its class's name")]
    public void Class_names(string name, string? problem) => Assert.Equal(problem, ModelRules.ClassNameProblem(name));

    [Theory]
    [InlineData("App.Models", null)]
    [InlineData("models", null)] // only class names have the lower-case rule
    [InlineData("", "it is empty")]
    [InlineData("App..Models", "it has an empty part")]
    [InlineData("App.global", "'global' cannot be part of a namespace")]
    [InlineData("App.int", "its part 'int': it is a C# keyword")]
    public void Namespaces(string ns, string? problem) => Assert.Equal(problem, ModelRules.NamespaceProblem(ns));

    [Theory]
    [InlineData("", "", true)]
    [InlineData("fp32", "", true)]
    [InlineData(" FP32 ", "", true)] // regression: "FP32" took the rewrite path instead of the copy
    [InlineData("Fp32", "0.5", false)]
    [InlineData("int4", "", false)]
    public void Pass_through_is_fp32_in_any_spelling_without_pruning(string precision, string prune, bool expected) =>
        Assert.Equal(expected, ModelRules.IsPassThrough(precision, prune));

    [Fact]
    public void Sha256_is_compared_trimmed_and_lower_case()
    {
        string sha = ModelRules.NormalizeSha256("  " + new string('A', 64) + "\t");
        Assert.Equal(new string('a', 64), sha);
        Assert.True(ModelRules.IsSha256(sha));
        Assert.False(ModelRules.IsSha256(new string('a', 63)));
        Assert.False(ModelRules.IsSha256(new string('g', 64)));
    }

    [Theory]
    [InlineData("models", null, "models")]
    [InlineData("assets/ml", null, "assets|ml")]
    [InlineData(@" .\assets\\ml\ ", null, "assets|ml")]
    [InlineData("ml & data/v{2}", null, "ml & data|v{2}")]
    [InlineData("", "it is empty", "")]
    [InlineData("./", "it is empty", "")]
    [InlineData("/srv/models", "it is an absolute path", "srv|models")]
    [InlineData(@"\\server\models", "it is an absolute path", "server|models")]
    [InlineData(@"C:\models", "it is an absolute path", "C:|models")]
    [InlineData("../models", "'..' would leave the output folder", "..|models")]
    [InlineData("models/../..", "'..' would leave the output folder", "models|..|..")]
    [InlineData("my\"models\"", "'my\"models\"' is not a portable folder name", "my\"models\"")]
    [InlineData("a?b", "'a?b' is not a portable folder name", "a?b")]
    public void A_models_folder_is_a_relative_path_inside_the_output(string folder, string? problem, string segments)
    {
        Assert.Equal(problem, ModelRules.ModelsFolderProblem(folder));
        Assert.Equal(segments, string.Join("|", ModelRules.ModelsFolderSegments(folder)));
    }
}
