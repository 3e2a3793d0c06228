using System.Globalization;
using SlmOps.Testing;
using SlmOps.Validation;
using Xunit.Abstractions;

namespace SlmOps.Quantization.Tests.Engine;

/// <summary>Quantizes the real MiniLM once per setting and keeps the fp32 embeddings of the evaluation texts.</summary>
public sealed class MiniLmVariants : IDisposable
{
    private readonly TempDirectory _temp = new("slmops-minilm-accuracy");
    private readonly Dictionary<string, (string Path, QuantizationResult Result)> _variants = [];

    public MiniLmVariants()
    {
        using var reference = MiniLmEmbedder.Open(MiniLm.ModelPath);
        Reference = AccuracyTexts.All.Select(reference.Embed).ToList();
    }

    public IReadOnlyList<float[]> Reference { get; }

    public (string Path, QuantizationResult Result) Get(string name, QuantizationOptions options)
    {
        lock (_variants)
        {
            if (!_variants.TryGetValue(name, out var variant))
            {
                string path = _temp.Combine(name + ".onnx");
                variant = (path, ModelQuantizer.Quantize(MiniLm.ModelPath, path, options));
                _variants.Add(name, variant);
            }
            return variant;
        }
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>
/// Mean-pooled embedding cosine against fp32 over the fixed text set, each text alone (batch 1). Issue #3 quotes
/// ONNX Runtime's Python quantizers on MiniLM over a similar set (int4 block 32 symmetric worst 0.861 / mean 0.962,
/// asymmetric worst 0.897; int8 dynamic worst 0.967 / mean 0.990). Where a floor below is lower than those, the
/// reference is not met on this (harder, shorter-text-heavy) set and the floor is the measured value less a margin;
/// <see cref="Scale_search_beats_round_to_nearest_on_the_same_texts"/> then compares against ONNX Runtime's algorithm
/// (round to nearest, scale = max / -8) run on the same texts.
/// </summary>
public class MiniLmAccuracyTests(MiniLmVariants variants, ITestOutputHelper output) : IClassFixture<MiniLmVariants>
{
    [Theory]
    [InlineData("int4-b32-sym", 0.872, 0.958)]   // measured 0.8771 / 0.9604
    [InlineData("int4-b32-asym", 0.884, 0.962)]  // measured 0.8863 / 0.9637 (0.8898 / 0.9648 with the slower six-step search)
    [InlineData("int4-b32-sym-embeddings", 0.865, 0.953)] // measured 0.8703 / 0.9562, 14.3 MB instead of 54.6
    [InlineData("int8-dynamic", 0.967, 0.990)]   // the x64 default (symmetric uint8 weights): 0.9732 / 0.9906
    [InlineData("int8-dynamic-qdq", 0.967, 0.990)]
    [InlineData("int8-dynamic-signed", 0.967, 0.990)]
    [InlineData("int8-dynamic-unsigned-asymmetric", 0.960, 0.989)] // 0.9624 / 0.9903
    [InlineData("int8-dynamic-signed-reduced", 0.955, 0.987)]      // 0.9581 / 0.9884: 7-bit weights cost accuracy
    [InlineData("int8-weight", 0.999, 0.999)]
    [InlineData("fp16", 0.999, 0.999)]
    public void Embeddings_stay_close_to_fp32(string setting, double worstFloor, double meanFloor)
    {
        // Signed int8 weights saturate on x64 without VNNI (measured 0.9662 / 0.9884 there); the x64 default is unsigned for that reason.
        if (setting == "int8-dynamic-signed" && Int8Cpu.SaturatesSignedWeights) (worstFloor, meanFloor) = (0.960, 0.987);
        var (worst, mean, worstText) = Measure(setting);
        Assert.True(AccuracyTexts.All.Count >= 48);
        Assert.True(worst >= worstFloor, $"{setting}: worst cosine {worst:0.0000} (\"{worstText}\") is below {worstFloor}");
        Assert.True(mean >= meanFloor, $"{setting}: mean cosine {mean:0.0000} is below {meanFloor}");
    }

    [Theory]
    [InlineData("int4-b32-sym")]
    [InlineData("int4-b32-asym")]
    public void Scale_search_beats_round_to_nearest_on_the_same_texts(string setting)
    {
        var searched = Measure(setting);
        var nearest = Measure(setting + "-rtn");
        Assert.True(searched.Worst >= nearest.Worst, $"worst {searched.Worst:0.0000} < {nearest.Worst:0.0000}");
        Assert.True(searched.Mean > nearest.Mean, $"mean {searched.Mean:0.0000} <= {nearest.Mean:0.0000}");
    }

    [Fact]
    public void Int4_is_a_sixth_of_the_float_weights_and_quantizes_every_constant_weight_matmul()
    {
        var (_, result) = variants.Get("int4-b32-sym", Options("int4-b32-sym"));
        // 6 layers x 6 MatMuls (Q, K, V, attention output, FFN in, FFN out) + the pooler.
        Assert.Equal(37, result.Tensors.Count);
        long quantizedBefore = result.Tensors.Sum(t => t.BytesBefore), quantizedAfter = result.Tensors.Sum(t => t.BytesAfter);
        // 4 bits per weight plus one float scale per 32 weights: 5/32 of the float bytes.
        Assert.Equal(5.0 / 32, (double)quantizedAfter / quantizedBefore, 3);
    }

    private (double Worst, double Mean, string WorstText) Measure(string setting)
    {
        var (path, result) = variants.Get(setting, Options(setting));
        using var embedder = MiniLmEmbedder.Open(path);
        var cosines = AccuracyTexts.All.Select((text, i) => EmbeddingMetrics.Cosine(variants.Reference[i], embedder.Embed(text))).ToList();
        double worst = cosines.Min(), mean = cosines.Average();
        string worstText = AccuracyTexts.All[cosines.IndexOf(worst)];
        long size = new FileInfo(path).Length + (result.DataPath is null ? 0 : new FileInfo(result.DataPath).Length);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {setting} | {worst:0.0000} | {mean:0.0000} | {size / 1e6:0.0} MB | {result.Tensors.Count} | \"{worstText}\" |"));
        return (worst, mean, worstText);
    }

    internal static QuantizationOptions Options(string setting) => setting switch
    {
        "int4-b32-sym" => new() { Precision = Precision.Int4 },
        "int4-b32-asym" => new() { Precision = Precision.Int4, Symmetric = false },
        "int4-b32-sym-embeddings" => new() { Precision = Precision.Int4, QuantizeEmbeddings = true },
        "int4-b32-sym-rtn" => new() { Precision = Precision.Int4, ScaleSearch = false },
        "int4-b32-asym-rtn" => new() { Precision = Precision.Int4, Symmetric = false, ScaleSearch = false },
        "int8-dynamic" => new() { Precision = Precision.Int8 },
        "int8-dynamic-qdq" => new() { Precision = Precision.Int8, Int8Format = Int8Format.Qdq },
        "int8-dynamic-signed" => new() { Precision = Precision.Int8, Int8Weights = SlmOps.Quantization.Kernels.Int8Scheme.Signed },
        "int8-dynamic-unsigned-asymmetric" => new() { Precision = Precision.Int8, Int8Weights = SlmOps.Quantization.Kernels.Int8Scheme.UnsignedAsymmetric },
        "int8-dynamic-signed-reduced" => new() { Precision = Precision.Int8, Int8Weights = SlmOps.Quantization.Kernels.Int8Scheme.SignedReducedRange },
        "int8-weight" => new() { Precision = Precision.Int8Weight },
        "fp16" => new() { Precision = Precision.Fp16 },
        _ => throw new ArgumentOutOfRangeException(nameof(setting)),
    };
}
