using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// A model that fails to prepare takes its earlier variant out of the build output, so the app cannot silently run an
/// outdated model; a model of the same project that prepared fine keeps its variant.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class FailedBuildOutputTests(SdkPackageFixture sdk)
{
    [Fact]
    public void A_failed_model_removes_its_previous_variant_from_bin_and_a_fixed_build_brings_it_back()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "good.onnx");
        string bad = OnnxModelFactory.Write(project.Path("models"), "bad.onnx");
        byte[] original = File.ReadAllBytes(bad);
        project.WriteProject("""
            <SlmModel Include="models/good.onnx" />
            <SlmModel Include="models/bad.onnx" />
            """);
        project.WriteProgram("""
            using var model = App.Models.Bad.Load();
            Console.WriteLine("loaded");
            """);
        project.Build().AssertSuccess();
        string badVariant = Path.Combine(project.OutputDirectory, "models", "Bad");
        string goodVariant = Path.Combine(project.OutputDirectory, "models", "Good");
        Assert.True(File.Exists(Path.Combine(badVariant, "model.onnx")));

        File.WriteAllBytes(bad, original[..(original.Length / 2)]);
        CommandResult failed = project.Build();

        Assert.False(failed.Succeeded, failed.Output);
        Assert.Contains("error SLM2003", failed.Output);
        Assert.False(Directory.Exists(badVariant), "the outdated variant of the failed model is gone from bin/");
        Assert.True(File.Exists(Path.Combine(goodVariant, "model.onnx")), "the model that prepared keeps its variant");
        Assert.Contains($"SlmOps: removed the previous variant of Bad from '{badVariant}{Path.DirectorySeparatorChar}'", failed.Output);
        // The app built before still exists; it now fails to load the model instead of running the old one.
        CommandResult stale = project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll"));
        Assert.False(stale.Succeeded, stale.Output);
        Assert.Contains("The model 'Bad' was not found", stale.Output);

        File.WriteAllBytes(bad, original);
        project.Build().AssertSuccess();
        Assert.True(File.Exists(Path.Combine(badVariant, "model.onnx")));
        project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();
    }
}
