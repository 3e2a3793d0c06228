using SlmOps.Quantization;
using SlmOps.Testing;
using Xunit.Abstractions;

namespace SlmOps.Validation.Tests;

/// <summary>The real MiniLM encoder and the variants our quantizer makes of it, validated as the build will.</summary>
public sealed class MiniLmValidationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new("slmops-minilm-validation");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("fp16")]
    [InlineData("int8-weight")]
    [InlineData("int8")]
    [InlineData("int4")]
    public void Each_precision_passes_its_default_gates_on_synthesized_inputs(string precision)
    {
        string variant = _dir.Combine(precision + ".onnx");
        ModelQuantizer.Quantize(MiniLm.ModelPath, variant, new QuantizationOptions { Precision = QuantizationNames.ParsePrecision(precision) });

        ValidationResult result = VariantValidator.Validate(MiniLm.ModelPath, variant, new ValidationSettings
        {
            Kind = "embedding",
            Gates = ValidationGates.DefaultsFor(precision),
        });

        output.WriteLine($"{precision}: worst cosine {result.Cosines.Min():0.0000}, mean {result.Cosines.Average():0.0000}, "
            + string.Join(", ", result.Outputs.Select(o => $"{o.Name} rel {o.RelativeError:0.0000} max {o.MaxAbsError:0.000}"))
            + $", p50 {result.VariantLatency!.P50Milliseconds:0.0} ms vs {result.OriginalLatency!.P50Milliseconds:0.0} ms");
        Assert.True(result.Passed, string.Join("\n", result.Failures));
        Assert.Equal(2, result.Cosines.Count);
    }

    /// <summary>
    /// The 56 evaluation texts as SampleData (7 batches of 8, tokenized with the model's vocab.txt): real text is
    /// harder on the quantized variants than synthesized ids, which is why the gates can only be tight with it.
    /// </summary>
    [Theory]
    [InlineData("fp16", 0.999)]
    [InlineData("int8-weight", 0.99)]
    [InlineData("int8", 0.94)]
    [InlineData("int4", 0.85)]
    public void On_the_56_sample_texts_each_precision_keeps_its_worst_cosine(string precision, double floor)
    {
        string variant = _dir.Combine(precision + ".onnx");
        ModelQuantizer.Quantize(MiniLm.ModelPath, variant, new QuantizationOptions { Precision = QuantizationNames.ParsePrecision(precision) });
        string texts = _dir.Combine("texts.txt");
        File.WriteAllLines(texts, AccuracyTexts.All);

        ValidationResult result = VariantValidator.Validate(MiniLm.ModelPath, variant, new ValidationSettings
        {
            Kind = "embedding",
            Gates = new ValidationGates { MinCosine = floor },
            SampleData = texts,
            Tokenizer = MiniLm.VocabPath,
        });

        output.WriteLine($"{precision} on {AccuracyTexts.All.Count} texts: worst cosine {result.Cosines.Min():0.0000}, mean {result.Cosines.Average():0.0000}, "
            + $"p50 {result.VariantLatency!.P50Milliseconds:0.0} ms vs {result.OriginalLatency!.P50Milliseconds:0.0} ms (batch of 8)");
        Assert.True(result.Passed, string.Join("\n", result.Failures));
        Assert.False(result.SynthesizedSamples);
        Assert.Equal((AccuracyTexts.All.Count + 7) / 8, result.SampleCount);
        Assert.Equal(AccuracyTexts.All.Count, result.Cosines.Count);
    }
}
