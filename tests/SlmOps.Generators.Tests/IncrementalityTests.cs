using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SlmOps.Contracts;

namespace SlmOps.Generators.Tests;

public class IncrementalityTests
{
    private static readonly string[] ContractSteps = { TrackingNames.ContractFiles, TrackingNames.Contracts, TrackingNames.AllContracts };

    [Fact]
    public void Adding_an_unrelated_additional_file_leaves_the_contract_steps_cached()
    {
        AdditionalText contract = GeneratorHarness.Contract(Contracts.MiniLm);
        Compilation compilation = GeneratorHarness.CreateCompilation();
        GeneratorDriver driver = GeneratorHarness.CreateDriver(contract).RunGenerators(compilation);

        driver = driver.AddAdditionalTexts([GeneratorHarness.File("/notes/readme.txt", "hello")]).RunGenerators(compilation);

        AssertCachedOrUnchanged(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void Editing_csharp_code_leaves_the_contract_steps_cached()
    {
        AdditionalText contract = GeneratorHarness.Contract(Contracts.MiniLm);
        Compilation compilation = GeneratorHarness.CreateCompilation("class A { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(contract).RunGenerators(compilation);

        Compilation edited = compilation
            .ReplaceSyntaxTree(compilation.SyntaxTrees.First(), CSharpSyntaxTree.ParseText("class A { int x; }", GeneratorHarness.ParseOptions))
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("class B { }", GeneratorHarness.ParseOptions));
        driver = driver.RunGenerators(edited);

        AssertCachedOrUnchanged(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void Rewriting_a_contract_with_identical_text_does_not_regenerate()
    {
        AdditionalText original = GeneratorHarness.Contract(Contracts.MiniLm, "/c.json");
        Compilation compilation = GeneratorHarness.CreateCompilation();
        GeneratorDriver driver = GeneratorHarness.CreateDriver(original).RunGenerators(compilation);

        driver = driver.ReplaceAdditionalText(original, GeneratorHarness.Contract(Contracts.MiniLm, "/c.json")).RunGenerators(compilation);

        var result = driver.GetRunResult().Results.Single();
        Assert.All(Outputs(result, TrackingNames.Contracts), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.All(Outputs(result, TrackingNames.AllContracts), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Changing_the_contract_reruns_its_steps_and_regenerates()
    {
        AdditionalText original = GeneratorHarness.Contract(Contracts.MiniLm, "/c.json");
        AdditionalText other = GeneratorHarness.Contract(Contracts.Float16Generic, "/d.json");
        Compilation compilation = GeneratorHarness.CreateCompilation();
        GeneratorDriver driver = GeneratorHarness.CreateDriver(original, other).RunGenerators(compilation);

        var changed = new ModelContract("MiniLm", "App.Models", ModelKinds.Embedding, Contracts.MiniLm.Inputs,
            new[] { GeneratorHarness.Tensor("sentence_embedding", ElementTypes.Float, "batch", 384) });
        driver = driver.ReplaceAdditionalText(original, GeneratorHarness.Contract(changed, "/c.json")).RunGenerators(compilation);

        var result = driver.GetRunResult().Results.Single();
        var parsed = Outputs(result, TrackingNames.Contracts).ToList();
        Assert.Contains(parsed, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(parsed, o => o.Reason == IncrementalStepRunReason.Cached);
        Assert.Equal(IncrementalStepRunReason.Modified, Outputs(result, TrackingNames.AllContracts).Single().Reason);
        Assert.Contains("SentenceEmbedding", result.GeneratedSources.Single(s => s.HintName == "App.Models.MiniLm.g.cs").SourceText.ToString());
    }

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs);

    private static void AssertCachedOrUnchanged(GeneratorRunResult result)
    {
        foreach (string step in ContractSteps)
        {
            var outputs = Outputs(result, step).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"{step} was {o.Reason}"));
        }
    }
}
