using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Fp16;
using SlmOps.Quantization.Tests.Engine;
using SlmOps.Testing;
using SlmOps.Validation;
using Xunit.Abstractions;
using static SlmOps.Quantization.Tests.Fp16.Fp16TestSupport;


namespace SlmOps.Quantization.Tests.Fp16;

/// <summary>The real all-MiniLM-L6-v2: fp16 embeddings must match fp32 ones.</summary>
public class Fp16MiniLmTests(ITestOutputHelper output)
{
    private static readonly string[] s_sentences =
    [
        "Hello world",
        "The quick brown fox jumps over the lazy dog.",
        "Quantizing a sentence-transformer to float16 halves its size and should keep its embeddings nearly identical.",
        "Résumé: naïve café owners prefer ONNX Runtime on CPUs & GPUs!",
    ];

    [Fact]
    public void MiniLm_Fp16Embeddings_MatchFloat32()
    {
        var model = OnnxModelLoader.Load(MiniLm.ModelPath, new OnnxLoadOptions { ComputeSha256 = false }).Proto;
        var fp32Bytes = model.ToByteArray();
        long fp32Initializers = model.Graph.Initializer.Where(t => t.DataType == F32).Sum(t => (long)t.RawData.Length + t.FloatData.Count * 4L);

        var result = Fp16Converter.Convert(model, Fp16Options.Default);
        ConvertInitializerPayloads(model, result);
        var fp16Bytes = model.ToByteArray();

        output.WriteLine($"fp16 pass: {result.ConvertedInitializers.Count} initializers, {result.NodesConverted} nodes converted, " +
            $"{result.NodesKeptFloat32} kept float32, {result.CastsInserted} Casts, {result.ConstantsClamped} constant values clamped");
        output.WriteLine($"model size: fp32 {fp32Bytes.Length:N0} bytes → fp16 {fp16Bytes.Length:N0} bytes ({100.0 * fp16Bytes.Length / fp32Bytes.Length:F1}%)");

        var types = ElementTypeInference.Infer(model.Graph);
        var float32Ops = model.Graph.Node.Where(n => n.OpType != "Cast" && n.Output.Any(o => types.TryGetValue(o, out int t) && t == F32))
            .GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        output.WriteLine("float32 nodes: " + string.Join(", ", float32Ops));

        Assert.True(result.ConvertedInitializers.Count > 90, $"only {result.ConvertedInitializers.Count} initializers converted");
        Assert.True(fp16Bytes.Length < fp32Bytes.Length * 0.52, $"fp16 model is {fp16Bytes.Length:N0} bytes");
        Assert.True(fp32Bytes.Length - fp16Bytes.Length > fp32Initializers * 0.45);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], model.Graph.Input.Select(i => i.Name));
        Assert.All(model.Graph.Output, o => Assert.Equal(F32, o.Type.TensorType.ElemType));
        AssertTopologicallySorted(model);

        using var tempDir = new TempDirectory("fp16-minilm");
        string fp16Path = Path.Combine(tempDir.FullPath, "model.fp16.onnx");
        File.WriteAllBytes(fp16Path, fp16Bytes);

        var tokenizer = BertTokenizer.Create(MiniLm.VocabPath, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        using var options = QuietOptions();
        using var fp32Session = new InferenceSession(fp32Bytes, options);
        using var fp16Session = new InferenceSession(fp16Path, options);

        foreach (string sentence in s_sentences)
        {
            long[] ids = [.. tokenizer.EncodeToIds(sentence, addSpecialTokens: true).Select(i => (long)i)];
            Assert.Equal(101, ids[0]);
            Assert.Equal(102, ids[^1]);
            var inputs = new[]
            {
                new ModelInput("input_ids", ids, [1, ids.Length]),
                new ModelInput("attention_mask", ids.Select(_ => 1L).ToArray(), [1, ids.Length]),
                new ModelInput("token_type_ids", new long[ids.Length], [1, ids.Length]),
            };

            var reference = Run(fp32Session, inputs)["last_hidden_state"];
            var candidate = Run(fp16Session, inputs)["last_hidden_state"];
            Assert.Equal(TensorElementType.Float, candidate.Type);
            Assert.All(candidate.Values, v => Assert.True(float.IsFinite(v)));

            double cosine = EmbeddingMetrics.Cosine(EmbeddingMetrics.MeanPool(reference.Values, ids.Length), EmbeddingMetrics.MeanPool(candidate.Values, ids.Length));
            output.WriteLine($"cosine {cosine:F6}  ({ids.Length} tokens) \"{sentence}\"");
            Assert.True(cosine >= 0.999, $"cosine {cosine} for \"{sentence}\"");
        }
    }

    [Fact]
    public void MiniLm_ConversionIsDeterministic()
    {
        var model = OnnxModelLoader.Load(MiniLm.ModelPath, new OnnxLoadOptions { ComputeSha256 = false }).Proto;
        // Payloads play no part in the pass: drop them so the comparison is about the graph.
        foreach (var t in model.Graph.Initializer) t.ClearRawData();
        var first = model.Clone();
        var second = model.Clone();

        var r1 = Fp16Converter.Convert(first, Fp16Options.Default);
        var r2 = Fp16Converter.Convert(second, Fp16Options.Default);

        Assert.Equal(r1.ConvertedInitializers, r2.ConvertedInitializers);
        Assert.Equal(first.ToByteArray(), second.ToByteArray());
        Assert.All(first.Graph.Initializer, t => Assert.True(t.RawData.IsEmpty));
    }
}
