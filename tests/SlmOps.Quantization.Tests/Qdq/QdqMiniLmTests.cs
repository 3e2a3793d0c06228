using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Tokenizers;
using SlmOps.Onnx;
using SlmOps.Quantization.Tests.Engine;
using SlmOps.Testing;
using SlmOps.Validation;
using Xunit.Abstractions;

namespace SlmOps.Quantization.Tests.Qdq;

/// <summary>The real MiniLM calibrated once on 16 of the evaluation texts, with the fp32 embeddings of all of them.</summary>
public sealed class QdqMiniLmFixture : IDisposable
{
    private readonly TempDirectory _temp = new("slmops-qdq-minilm");
    private readonly Dictionary<CalibrationMethod, ActivationRanges> _ranges = [];

    public QdqMiniLmFixture()
    {
        using var reference = MiniLmEmbedder.Open(MiniLm.ModelPath);
        Reference = AccuracyTexts.All.Select(reference.Embed).ToList();
    }

    public IReadOnlyList<float[]> Reference { get; }

    /// <summary>16 texts spread over the evaluation set (two of every seven), short and long.</summary>
    public static IReadOnlyList<string> CalibrationTexts { get; } = AccuracyTexts.All.Where((_, i) => i % 7 < 2).ToList();

    public string Combine(string name) => _temp.Combine(name);

    public ActivationRanges Ranges(CalibrationMethod method)
    {
        lock (_ranges)
        {
            if (!_ranges.TryGetValue(method, out var ranges))
            {
                ranges = Calibrator.Calibrate(MiniLm.ModelPath, new QuantizationOptions(), CalibrationTexts.Select(Feed), method);
                _ranges.Add(method, ranges);
            }
            return ranges;
        }
    }

    /// <summary>The three inputs of MiniLM for one text, batch 1, as <see cref="SentenceEmbedder"/> feeds them.</summary>
    public static IReadOnlyDictionary<string, CalibrationInput> Feed(string text)
    {
        var tokenizer = BertTokenizer.Create(MiniLm.VocabPath, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        long[] ids = tokenizer.EncodeToIds(text).Select(id => (long)id).ToArray();
        return new Dictionary<string, CalibrationInput>
        {
            ["input_ids"] = CalibrationInput.Int64(ids, 1, ids.Length),
            ["attention_mask"] = CalibrationInput.Int64(Enumerable.Repeat(1L, ids.Length).ToArray(), 1, ids.Length),
            ["token_type_ids"] = CalibrationInput.Int64(new long[ids.Length], 1, ids.Length),
        };
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>
/// Static QDQ on the real MiniLM: calibrated on 16 texts, evaluated on all 56 (mean-pooled embedding cosine against
/// fp32, batch 1). The floors are the measured values rounded down (docs/quantization.md has the table).
/// </summary>
public class QdqMiniLmTests(QdqMiniLmFixture fixture, ITestOutputHelper output) : IClassFixture<QdqMiniLmFixture>
{
    [Theory]
    [InlineData(CalibrationMethod.MinMax, QdqActivationType.UInt8, true, 0.80, 0.92)]
    [InlineData(CalibrationMethod.MinMax, QdqActivationType.UInt16, true, 0.99, 0.998)]
    [InlineData(CalibrationMethod.Percentile, QdqActivationType.UInt8, true, 0.75, 0.92)]
    [InlineData(CalibrationMethod.MinMax, QdqActivationType.UInt8, false, 0.91, 0.98)]
    public void Embeddings_stay_close_to_fp32(CalibrationMethod method, QdqActivationType activations, bool outputs, double worstFloor, double meanFloor)
    {
        var clock = Stopwatch.StartNew();
        var ranges = fixture.Ranges(method);
        if (!outputs)
        {
            // Without the ranges of the MatMul outputs only the inputs get Q/DQ: the outputs (which feed the residual
            // additions and hold the widest ranges) stay float.
            var graph = OnnxModelLoader.Load(MiniLm.ModelPath, new OnnxLoadOptions { ComputeSha256 = false, DeferPayloadsOfAtLeast = 4096 }).Proto.Graph;
            var inputs = graph.Node.Where(n => n.OpType is "MatMul" or "Gemm").Select(n => n.Input[0]).ToHashSet(StringComparer.Ordinal);
            ranges = new ActivationRanges(ranges.Where(r => inputs.Contains(r.Key)));
        }
        string path = fixture.Combine($"qdq-{method}-{activations}-{outputs}.onnx");
        var result = ModelQuantizer.Quantize(MiniLm.ModelPath, path, new QuantizationOptions { Precision = Precision.Qdq, Ranges = ranges, ActivationType = activations });
        Assert.Equal(37, result.Tensors.Count); // every MatMul/Gemm with a constant weight

        using var embedder = MiniLmEmbedder.Open(path);
        var cosines = AccuracyTexts.All.Select((text, i) => EmbeddingMetrics.Cosine(fixture.Reference[i], embedder.Embed(text))).ToList();
        double worst = cosines.Min(), mean = cosines.Average();
        string worstText = AccuracyTexts.All[cosines.IndexOf(worst)];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| qdq {QuantizationNames.QdqActivationTypes[(int)activations]} {method}{(outputs ? "" : " inputs only")} | {worst:0.0000} | {mean:0.0000} | {new FileInfo(path).Length / 1e6:0.0} MB | \"{worstText}\" | {clock.Elapsed.TotalSeconds:0.0} s |"));

        // int8 weights with uint8 activations saturate on x64 without VNNI (MinMax uint8 measured 0.7771 / 0.9222 there).
        if (activations == QdqActivationType.UInt8 && Int8Cpu.SaturatesSignedWeights) (worstFloor, meanFloor) = (worstFloor - 0.05, meanFloor - 0.01);
        Assert.True(worst >= worstFloor, $"worst cosine {worst:0.0000} (\"{worstText}\") is below {worstFloor}");
        Assert.True(mean >= meanFloor, $"mean cosine {mean:0.0000} is below {meanFloor}");
    }
}
