using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using SlmOps.Contracts;
using SlmOps.Runtime;
using SlmOps.Runtime.Tests;

namespace SlmOps.Generators.Tests;

/// <summary>A generated wrapper, compiled and loaded, runs a real (tiny) ONNX model through SlmOps.Runtime.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "slmops-generator-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Generated_wrapper_loads_the_model_and_runs_it_with_typed_tensors()
    {
        Type adder = CompileWrapper();
        string modelDirectory = Path.Combine(_directory, "models", "Adder");
        TinyOnnx.Save(
            TinyOnnx.SingleNode(
                "Add",
                new[] { new TinyOnnx.Value("left", TinyOnnx.OnnxType.Float, "batch", 3L), new TinyOnnx.Value("right", TinyOnnx.OnnxType.Float, "batch", 3L) },
                new[] { new TinyOnnx.Value("sum", TinyOnnx.OnnxType.Float, "batch", 3L) }),
            modelDirectory);

        using var model = (IDisposable)adder.GetMethod("Load", new[] { typeof(string), typeof(SlmSessionOptions) })!.Invoke(null, new object?[] { modelDirectory, null })!;
        MethodInfo run = adder.GetMethod("Run", new[] { typeof(SlmTensor<float>), typeof(SlmTensor<float>) })!;
        object output = run.Invoke(model, new object[]
        {
            SlmTensor<float>.Create(new float[] { 1, 2, 3 }, 1, 3),
            SlmTensor<float>.Create(new float[] { 0.5f, 0.5f, 0.5f }, 1, 3),
        })!;

        var sum = (SlmTensor<float>)output.GetType().GetProperty("Sum")!.GetValue(output)!;
        Assert.Equal(new float[] { 1.5f, 2.5f, 3.5f }, sum.ToArray());

        var ex = Assert.Throws<TargetInvocationException>(() => run.Invoke(model, new object[] { SlmTensor<float>.Zeros(1, 3), SlmTensor<float>.Zeros(1, 2) }));
        var argument = Assert.IsType<ArgumentException>(ex.InnerException);
        Assert.Contains("Input 'right' has shape [1, 2], but the model expects shape [batch, 3]", argument.Message);
    }

    [Theory]
    [InlineData(null, new[] { "models" })]
    [InlineData("assets/ml", new[] { "assets", "ml" })]
    public void Generated_default_load_looks_in_the_models_folder_and_explains_that_the_sdk_copies_models_there(string? modelsFolder, string[] segments)
    {
        Type adder = CompileWrapper(modelsFolder);

        var ex = Assert.Throws<TargetInvocationException>(() => adder.GetMethod("Load", new[] { typeof(SlmSessionOptions) })!.Invoke(null, new object?[] { null }));

        var notFound = Assert.IsType<FileNotFoundException>(ex.InnerException);
        Assert.Equal(Path.Combine([AppContext.BaseDirectory, .. segments, "Adder", "model.onnx"]), notFound.FileName);
        Assert.Contains($"{string.Join("/", segments)}/Adder/model.onnx", notFound.Message.Replace('\\', '/'));
    }

    private static Type CompileWrapper(string? modelsFolder = null)
    {
        var properties = new Dictionary<string, string>();
        if (modelsFolder is not null) properties["SlmOpsModelsFolder"] = modelsFolder;
        var contract = new ModelContract("Adder", "EndToEnd.Models", ModelKinds.Generic,
            new[] { GeneratorHarness.Tensor("left", ElementTypes.Float, "batch", 3), GeneratorHarness.Tensor("right", ElementTypes.Float, "batch", 3) },
            new[] { GeneratorHarness.Tensor("sum", ElementTypes.Float, "batch", 3) });
        GeneratorHarness.CreateDriver(properties, GeneratorHarness.Contract(contract))
            .RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation().WithAssemblyName("EndToEnd" + Guid.NewGuid().ToString("N")), out Compilation output, out _);

        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        image.Position = 0;
        Assembly assembly = new AssemblyLoadContext("EndToEnd", isCollectible: true).LoadFromStream(image);
        return assembly.GetType("EndToEnd.Models.Adder", throwOnError: true)!;
    }
}
