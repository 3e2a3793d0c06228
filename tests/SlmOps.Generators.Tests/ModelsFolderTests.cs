using Microsoft.CodeAnalysis;

namespace SlmOps.Generators.Tests;

/// <summary>The generated <c>Load()</c> looks where the SDK copies the model: <c>$(SlmOpsModelsFolder)/&lt;Name&gt;/</c>.</summary>
public class ModelsFolderTests
{
    private static string Generate(string? modelsFolder)
    {
        var properties = new Dictionary<string, string>();
        if (modelsFolder is not null) properties["SlmOpsModelsFolder"] = modelsFolder;
        GeneratorDriver driver = GeneratorHarness.CreateDriver(properties, GeneratorHarness.Contract(Contracts.MiniLm))
            .RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation(), out Compilation output, out _);
        CompilationTests.AssertClean(output);
        return driver.GetRunResult().Results.Single().GeneratedSources.Single().SourceText.ToString();
    }

    [Theory]
    [InlineData("assets/ml", "\"assets\", \"ml\"", "assets/ml")]
    [InlineData(@" assets\ml\ ", "\"assets\", \"ml\"", "assets/ml")] // Windows separators, a trailing one, spaces around
    [InlineData("./Models", "\"Models\"", "Models")]
    [InlineData("ml & data/v{2}", "\"ml & data\", \"v{2}\"", "ml &amp; data/v{2}")] // a literal and doc text, escaped
    public void Load_combines_the_app_folder_with_each_segment_of_the_models_folder(string folder, string segments, string doc)
    {
        string source = Generate(folder);

        Assert.Contains($"Path.Combine(global::System.AppContext.BaseDirectory, {segments}, \"MiniLm\")", source);
        Assert.Contains($"Loads the model from <c>{doc}/MiniLm/model.onnx</c>", source);
        Assert.Contains($"also its folder under <c>{doc}/</c>", source);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("../outside")] // the SDK refuses these with SLM1013 before the compiler runs
    [InlineData("/abs/models")]
    public void Without_a_usable_folder_Load_looks_in_models(string? folder)
    {
        string source = Generate(folder);

        Assert.Contains("Path.Combine(global::System.AppContext.BaseDirectory, \"models\", \"MiniLm\")", source);
    }

    [Fact]
    public void Changing_the_models_folder_regenerates_without_reparsing_and_other_properties_change_nothing()
    {
        Compilation compilation = GeneratorHarness.CreateCompilation();
        GeneratorDriver driver = GeneratorHarness.CreateDriver(
            new Dictionary<string, string> { ["SlmOpsModelsFolder"] = "models", ["RootNamespace"] = "App" },
            GeneratorHarness.Contract(Contracts.MiniLm)).RunGenerators(compilation);

        driver = driver.WithUpdatedAnalyzerConfigOptions(GeneratorHarness.OptionsProvider(
            new Dictionary<string, string> { ["SlmOpsModelsFolder"] = "models", ["RootNamespace"] = "Other" })).RunGenerators(compilation);
        GeneratorRunResult unrelated = driver.GetRunResult().Results.Single();
        IncrementalStepRunReason folderStep = Outputs(unrelated, TrackingNames.ModelsFolder).Single();
        Assert.True(folderStep is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached, folderStep.ToString());
        var sourceOutputs = unrelated.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(sourceOutputs);
        Assert.DoesNotContain(sourceOutputs, o => o.Reason == IncrementalStepRunReason.Modified);

        driver = driver.WithUpdatedAnalyzerConfigOptions(GeneratorHarness.OptionsProvider(
            new Dictionary<string, string> { ["SlmOpsModelsFolder"] = "assets/ml", ["RootNamespace"] = "Other" })).RunGenerators(compilation);
        GeneratorRunResult changed = driver.GetRunResult().Results.Single();
        Assert.Equal(IncrementalStepRunReason.Modified, Outputs(changed, TrackingNames.ModelsFolder).Single());
        Assert.Equal(IncrementalStepRunReason.Cached, Outputs(changed, TrackingNames.Contracts).Single());
        Assert.Contains("\"assets\", \"ml\", \"MiniLm\"", changed.GeneratedSources.Single().SourceText.ToString());
    }

    private static IEnumerable<IncrementalStepRunReason> Outputs(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);
}
