using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;

namespace SlmOps.Validation.Tests;

/// <summary>
/// Causal language models: text samples through a byte-level BPE tokenizer with an empty KV cache, and the
/// next-token perplexity and top-1 agreement gates, on the tiny decoder of <see cref="CausalLmFactory"/>.
/// </summary>
public sealed class CausalLmValidationTests : IDisposable
{
    private static readonly string[] Texts = ["the cat sat on the mat", "to be or not to be, that is the question", "OK", "naïve tea at ten"];
    private readonly TempDirectory _dir = new("slmops-causal");

    public void Dispose() => _dir.Dispose();

    private string Original => CausalLmFactory.Write(_dir.CreateDirectory("original"));

    private string TextFile()
    {
        string path = _dir.Combine("texts.txt");
        File.WriteAllLines(path, Texts);
        return path;
    }

    /// <summary>The model with its lm_head weights changed by <paramref name="change"/> (index, weight → weight).</summary>
    private string Variant(Func<int, float, float> change)
    {
        ModelProto model = CausalLmFactory.Create();
        TensorProto head = model.Graph.Initializer.Single(t => t.Name == "lm_head.weight");
        float[] values = new float[head.RawData.Length / 4];
        Buffer.BlockCopy(head.RawData.ToByteArray(), 0, values, 0, head.RawData.Length);
        head.RawData = ByteString.CopyFrom(OnnxModelFactory.FloatBytes(values.Select((v, i) => change(i, v)).ToArray()));
        return OnnxModelFactory.Write(_dir.CreateDirectory("variant"), "model.onnx", model);
    }

    private ValidationResult Validate(string variant) => VariantValidator.Validate(Original, variant, new ValidationSettings
    {
        Gates = ValidationGates.DefaultsFor("int4"),
        SampleData = TextFile(),
        LatencyRuns = 0,
    });

    [Fact]
    public void Text_samples_are_byte_level_BPE_ids_with_the_mask_and_an_empty_cache()
    {
        string model = Original;
        using var runner = ModelRunner.Open(model, 1);

        var samples = SampleData.Load(TextFile(), runner.Inputs, tokenizerPath: null, model);

        var sample = Assert.Single(samples);
        Assert.Equal(["input_ids", "attention_mask", "past_key_values.0.key", "past_key_values.0.value"], sample.Select(t => t.Name));
        int longest = Texts.Max(t => CausalLmFactory.Encode(t).Count);
        Assert.Equal([Texts.Length, longest], sample[0].Shape);
        var ids = (long[])sample[0].Values;
        var mask = (long[])sample[1].Values;
        for (int row = 0; row < Texts.Length; row++)
        {
            var expected = CausalLmFactory.Encode(Texts[row]);
            Assert.Equal(expected, ids.Skip(row * longest).Take(expected.Count));
            Assert.Equal(expected.Count, mask.Skip(row * longest).Take(longest).Sum());
        }

        Assert.Equal([Texts.Length, CausalLmFactory.Heads, 0, CausalLmFactory.HeadSize], sample[2].Shape);
        Assert.Equal(TensorElementType.Float, sample[3].ElementType);
        Assert.Equal([TextFile(), Path.Combine(Path.GetDirectoryName(model)!, "vocab.json"), Path.Combine(Path.GetDirectoryName(model)!, "merges.txt")],
            SampleData.Files(TextFile(), null, model));
    }

    [Fact]
    public void An_identical_variant_has_the_same_perplexity_and_full_top1_agreement()
    {
        ValidationResult result = Validate(Variant((_, w) => w));

        Assert.True(result.Passed, string.Join("\n", result.Failures));
        Assert.Equal("causal-lm", result.Kind);
        Perplexities perplexity = result.Perplexity!;
        Assert.Equal(perplexity.Original, perplexity.Variant);
        Assert.Equal(0, perplexity.Increase);
        // Every position whose next token is real: the mask drops the padding and the last token of each text.
        Assert.Equal(Texts.Sum(t => CausalLmFactory.Encode(t).Count - 1), perplexity.Tokens);
        Assert.InRange(perplexity.Original, 2, 10 * CausalLmFactory.Vocabulary);
        GateResult gate = Assert.Single(result.Gates, g => g.Gate == "MaxPerplexityIncrease");
        Assert.Equal(("logits", 0.1, 0.0, true), (gate.Subject, gate.Threshold, gate.Measured, gate.Passed));
        Assert.Equal(1.0, Assert.Single(result.Gates, g => g.Gate == "MinTop1Agreement").Measured);
    }

    [Fact]
    public void A_slightly_perturbed_head_passes_with_a_small_increase_and_a_scrambled_one_fails_SLM4010()
    {
        var random = new Random(3);
        var noise = Enumerable.Range(0, CausalLmFactory.Width * CausalLmFactory.Vocabulary).Select(_ => (float)(random.NextDouble() - 0.5) * 0.02f).ToArray();

        ValidationResult close = Validate(Variant((i, w) => w + noise[i]));
        ValidationResult scrambled = Validate(Variant((i, w) => -w * 3));

        GateResult small = Assert.Single(close.Gates, g => g.Gate == "MaxPerplexityIncrease");
        Assert.True(small.Passed);
        Assert.InRange(Math.Abs(small.Measured), 1e-6, 0.05);
        GateResult large = Assert.Single(scrambled.Gates, g => g.Gate == "MaxPerplexityIncrease");
        Assert.False(large.Passed);
        Assert.True(large.Measured > 1, large.Measured.ToString());
        Assert.Contains(scrambled.Failures, f => f.Code == "SLM4010" && f.Message.StartsWith("MaxPerplexityIncrease of 'logits' is ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_BPE_vocabulary_without_its_merges_is_SLM4007()
    {
        string model = Original;
        File.Delete(Path.Combine(Path.GetDirectoryName(model)!, "merges.txt"));
        using var runner = ModelRunner.Open(model, 1);

        var ex = Assert.Throws<ValidationException>(() => SampleData.Load(TextFile(), runner.Inputs, null, model));

        Assert.Equal("SLM4007", ex.Code);
        Assert.Contains("needs its merges.txt beside it", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Perplexity_is_exp_of_the_mean_negative_log_likelihood_of_each_kept_next_token()
    {
        // One row, three positions, vocabulary 2; the mask keeps the first two tokens only, so one prediction counts.
        float[] logits = [0, MathF.Log(3), 5, -5, 1, 1];
        var tensor = new OutputTensor("logits", TensorElementType.Float, [1, 3, 2], logits, null);
        long[] ids = [0, 1, 0];

        var kept = DriftMetrics.Perplexity([tensor], [tensor], [ids], [[1, 1, 0]])!;
        var all = DriftMetrics.Perplexity([tensor], [tensor], [ids], [null])!;

        // p(token 1 | position 0) = 3 / 4.
        Assert.Equal(4.0 / 3, kept.Original, 6);
        Assert.Equal(1, kept.Tokens);
        // Position 1 predicts token 0 with p = e^5 / (e^5 + e^-5).
        double nll = -Math.Log(0.75) - Math.Log(Math.Exp(5) / (Math.Exp(5) + Math.Exp(-5)));
        Assert.Equal(Math.Exp(nll / 2), all.Original, 5);
        Assert.Null(DriftMetrics.Perplexity([tensor], [tensor], [ids], [[1, 0, 0]]));
    }
}
