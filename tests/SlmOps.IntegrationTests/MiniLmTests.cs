using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Testing;
using SlmOps.Validation;

namespace SlmOps.IntegrationTests;

/// <summary>The real all-MiniLM-L6-v2 model through the whole SDK path.</summary>
[Collection(SdkCollection.Name)]
public sealed class MiniLmTests(SdkPackageFixture sdk)
{
    // [CLS] hello world [SEP] in the model's vocabulary.
    private static readonly long[] Ids = [101, 7592, 2088, 102];

    [Fact]
    public void Generated_embedding_wrapper_matches_a_direct_onnx_runtime_run()
    {
        using var project = new TestProject(sdk);
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(MiniLm.ModelPath)));
        project.WriteProject($"""<SlmModel Include="{MiniLm.ModelPath}" Name="MiniLm" Sha256="{sha.ToUpperInvariant()}" />""");
        project.WriteProgram("""
            using System.Globalization;
            using App.Models;
            using SlmOps.Runtime;

            using var model = MiniLm.Load();
            long[] ids = { 101, 7592, 2088, 102 };
            var output = model.Run(
                SlmTensor<long>.Create(ids, 1, 4),
                SlmTensor<long>.Create(new long[] { 1, 1, 1, 1 }, 1, 4),
                SlmTensor<long>.Zeros(1, 4));
            Console.WriteLine("shape=" + output.LastHiddenState.ShapeText);
            Console.WriteLine("values=" + string.Join(";", output.LastHiddenState.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            // The overload without token_type_ids passes zeros shaped like input_ids.
            var defaulted = model.Run(SlmTensor<long>.Create(ids, 1, 4), SlmTensor<long>.Create(new long[] { 1, 1, 1, 1 }, 1, 4));
            Console.WriteLine("defaulted=" + string.Join(";", defaulted.LastHiddenState.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            // The embedding facade, with the tokenizer the SDK shipped beside the model.
            var embeddings = await model.GenerateAsync(["hello world", "A quantized model uses less memory on edge devices."]);
            Console.WriteLine("embedding=" + string.Join(";", embeddings[1].Vector.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            """);
        _ = MiniLm.VocabPath; // extracted beside the model, where the SDK looks for the tokenizer

        project.Build().AssertSuccess();
        CommandResult run = project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();

        Assert.Contains("shape=[1, 4, 384]", run.Output);
        Assert.Equal(Direct(), Values(run.Output, "values="));
        Assert.Equal(Direct(), Values(run.Output, "defaulted="));
        // Through IEmbeddingGenerator: the same as the validation's embedder (ONNX Runtime, mean pooling, unit length).
        using (var embedder = new SentenceEmbedder(MiniLm.ModelPath, Microsoft.ML.Tokenizers.BertTokenizer.Create(MiniLm.VocabPath)))
            Assert.Equal(embedder.Embed("A quantized model uses less memory on edge devices."), Values(run.Output, "embedding="));
        Assert.True(File.Exists(Path.Combine(project.OutputDirectory, "models", "MiniLm", "tokenizer", "vocab.txt")));
        string contract = File.ReadAllText(Path.Combine(project.Path("obj"), "Debug", "net10.0", "slm", "MiniLm", "contract.json"));
        Assert.Contains("\"kind\": \"embedding\"", contract);
    }

    private static float[] Values(string output, string prefix) =>
        output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..]
            .Split(';').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void Precision_int4_builds_a_smaller_variant_that_the_generated_wrapper_runs()
    {
        using var project = new TestProject(sdk);
        project.WriteProject($"""<SlmModel Include="{MiniLm.ModelPath}" Name="MiniLm" Precision="int4" QuantizeExclude="*pooler*" />""");
        project.WriteProgram("""
            using System.Globalization;
            using App.Models;
            using SlmOps.Runtime;

            using var model = MiniLm.Load();
            var output = model.Run(
                SlmTensor<long>.Create(new long[] { 101, 7592, 2088, 102 }, 1, 4),
                SlmTensor<long>.Create(new long[] { 1, 1, 1, 1 }, 1, 4),
                SlmTensor<long>.Zeros(1, 4));
            Console.WriteLine("values=" + string.Join(";", output.LastHiddenState.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            """);

        // Default verbosity, as a user builds; a short progress interval so the quantization step beats.
        CommandResult build = project.Dotnet("build", "-nr:false", "-p:UseSharedCompilation=false", "-p:SlmOpsProgressInterval=0.1").AssertSuccess();
        CommandResult run = project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();

        Assert.True(Regex.IsMatch(build.Output, @"SlmOps: MiniLm \([a-z0-9-]+\): (reading and hashing the model|quantizing to int4|hashing the variant), \d+ s"), build.Output);
        Assert.True(Regex.IsMatch(build.Output, @"SlmOps: MiniLm \([a-z0-9-]+\): int4, 90\.\d MB -> \d+\.\d MB, validated: MinCosine 0\.9\d+ \(>= 0\.95\), MaxRelativeError 0\.\d+ \(<= 0\.35\), p50 \d+\.\d ms \(original \d+\.\d ms\), \d+\.\d\d s"), build.Output);
        float[] actual = Values(run.Output, "values=");
        Assert.True(EmbeddingMetrics.Cosine(EmbeddingMetrics.MeanPool(Direct(), Ids.Length), EmbeddingMetrics.MeanPool(actual, Ids.Length)) > 0.95);

        string variant = Path.Combine(project.OutputDirectory, "models", "MiniLm", "model.onnx");
        Assert.True(new FileInfo(variant).Length < MiniLm.ModelLength * 0.7, "the int4 variant should be much smaller");
        string manifest = File.ReadAllText(Path.Combine(project.OutputDirectory, "models", "MiniLm", "manifest.json"));
        Assert.Contains("\"precision\": \"int4\"", manifest);
        Assert.Contains("\"quantization\"", manifest);
    }

    [Fact]
    public void An_unknown_precision_fails_the_build_with_SLM3001_and_leaves_no_variant()
    {
        using var project = new TestProject(sdk);
        project.WriteProject($"""<SlmModel Include="{MiniLm.ModelPath}" Name="MiniLm" Precision="int3" />""");
        project.WriteProgram("Console.WriteLine();");

        CommandResult build = project.Build();
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("SLM3001", build.Output);
        Assert.Contains("int3", build.Output);
        string slm = Path.Combine(project.Path("obj"), "Debug", "net10.0", "slm", "MiniLm");
        Assert.Empty(Directory.Exists(slm) ? Directory.GetFiles(slm, "model.onnx*", SearchOption.AllDirectories) : []);
    }

    private static float[] Direct()
    {
        using var session = new InferenceSession(MiniLm.ModelPath);
        using var ids = OrtValue.CreateTensorValueFromMemory(Ids.ToArray(), [1, 4]);
        using var mask = OrtValue.CreateTensorValueFromMemory(new long[] { 1, 1, 1, 1 }, [1, 4]);
        using var types = OrtValue.CreateTensorValueFromMemory(new long[4], [1, 4]);
        using var results = session.Run(new RunOptions(), ["input_ids", "attention_mask", "token_type_ids"], [ids, mask, types], ["last_hidden_state"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
