using Microsoft.ML.OnnxRuntime;
using SlmOps.Testing;

namespace SlmOps.Runtime.Tests;

/// <summary>
/// The generation loop on <see cref="DecoderFactory"/> decoders of several layouts: with the KV cache it chooses the
/// tokens greedy decoding over the whole sequence chooses, and it stops where it is told to.
/// </summary>
public sealed class SlmCausalLmTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly int[] Prompt = [5, 17, 42, 99];

    public static TheoryData<DecoderOptions> Shapes() =>
    [
        new DecoderOptions(),
        new DecoderOptions(Heads: 4, KvHeads: 4, PositionIds: false),
        new DecoderOptions(Layers: 1, KvHeads: 1, AttentionMask: false),
        new DecoderOptions(Fp16Cache: true),
        // Vocabularies of real small models: Llama-2's 32k and Qwen2's 152k.
        new DecoderOptions(Layers: 1, Vocabulary: 32_000),
        new DecoderOptions(Layers: 1, KvHeads: 1, Vocabulary: 151_936),
    ];

    private (SlmSession Session, SlmCausalLm Model, string Path) Open(DecoderOptions options)
    {
        string path = OnnxModelFactory.Write(_temp.Combine(Guid.NewGuid().ToString("N")), "decoder.onnx", DecoderFactory.Create(options));
        var session = SlmSession.Open(path);
        var (inputs, outputs) = Specs(options);
        return (session, new SlmCausalLm(session, inputs, outputs), path);
    }

    /// <summary>The decoder's inputs and outputs as a generated wrapper's specs give them.</summary>
    internal static (SlmTensorSpec[] Inputs, SlmTensorSpec[] Outputs) Specs(DecoderOptions o)
    {
        var batch = SlmDimension.Symbolic("batch");
        var inputs = new List<SlmTensorSpec> { new("input_ids", SlmElementType.Int64, batch, SlmDimension.Symbolic("sequence")) };
        if (o.AttentionMask) inputs.Add(new("attention_mask", SlmElementType.Int64, batch, SlmDimension.Symbolic("total_sequence")));
        if (o.PositionIds) inputs.Add(new("position_ids", SlmElementType.Int64, batch, SlmDimension.Symbolic("sequence")));
        var outputs = new List<SlmTensorSpec> { new("logits", SlmElementType.Float, batch, SlmDimension.Symbolic("sequence"), SlmDimension.Fixed(o.Vocabulary)) };
        var cache = o.Fp16Cache ? SlmElementType.Float16 : SlmElementType.Float;
        for (int l = 0; l < o.Layers; l++)
        {
            foreach (string part in new[] { "key", "value" })
            {
                inputs.Add(new($"past_key_values.{l}.{part}", cache, batch, SlmDimension.Fixed(o.KvHeads), SlmDimension.Symbolic("past_sequence"), SlmDimension.Fixed(o.HeadSize)));
                outputs.Add(new($"present.{l}.{part}", cache, batch, SlmDimension.Fixed(o.KvHeads), SlmDimension.Symbolic("total_sequence"), SlmDimension.Fixed(o.HeadSize)));
            }
        }

        return ([.. inputs], [.. outputs]);
    }

    /// <summary>Greedy decoding without a cache: the whole sequence run from scratch for every token.</summary>
    private static List<int> Uncached(string path, DecoderOptions o, int count)
    {
        using var session = new InferenceSession(path);
        var sequence = Prompt.Select(t => (long)t).ToList();
        var produced = new List<int>();
        for (int step = 0; step < count; step++)
        {
            var feeds = new Dictionary<string, OrtValue> { ["input_ids"] = OrtValue.CreateTensorValueFromMemory(sequence.ToArray(), [1, sequence.Count]) };
            if (o.AttentionMask) feeds["attention_mask"] = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, sequence.Count).ToArray(), [1, sequence.Count]);
            if (o.PositionIds) feeds["position_ids"] = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, sequence.Count).Select(p => (long)p).ToArray(), [1, sequence.Count]);
            for (int l = 0; l < o.Layers; l++)
            {
                foreach (string part in new[] { "key", "value" })
                {
                    long[] shape = [1, o.KvHeads, 0, o.HeadSize];
                    feeds[$"past_key_values.{l}.{part}"] = o.Fp16Cache
                        ? OrtValue.CreateTensorValueFromMemory(Array.Empty<Float16>(), shape)
                        : OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), shape);
                }
            }

            using var runOptions = new RunOptions();
            using (var results = session.Run(runOptions, feeds.Keys.ToArray(), feeds.Values.ToArray(), ["logits"]))
            {
                ReadOnlySpan<float> logits = results[0].GetTensorDataAsSpan<float>();
                int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits[((sequence.Count - 1) * o.Vocabulary)..]);
                produced.Add(next);
                sequence.Add(next);
            }

            foreach (var value in feeds.Values) value.Dispose();
        }

        return produced;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Cached_greedy_generation_chooses_the_tokens_of_uncached_greedy_generation_and_reads_the_layout_from_the_model(DecoderOptions options)
    {
        var (session, model, path) = Open(options);
        using var _ = session;

        var cached = model.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = 12 }).ToList();

        Assert.Equal(Uncached(path, options, 12), cached);
        Assert.Equal((options.Layers, options.KvHeads, options.HeadSize, options.Vocabulary), (model.Layers, model.KeyValueHeads, model.HeadSize, model.Vocabulary));
        Assert.True(cached.Distinct().Count() > 1, "the decoder should not repeat one token");
    }

    [Fact]
    public void Generation_ends_at_a_stop_token_at_MaxNewTokens_and_at_the_context_length_and_a_prompt_beyond_it_is_refused()
    {
        var (session, model, _) = Open(new DecoderOptions());
        using var s = session;
        var greedy = model.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = 8 }).ToList();

        var stopped = model.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = 8, StopTokens = [greedy[2]] }).ToList();
        var capped = model.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = 3 }).ToList();
        var context = model.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = 8, ContextLength = 6 }).ToList();
        var tooLong = Assert.Throws<ArgumentException>(() => model.Generate(Prompt, new SlmGenerationOptions { ContextLength = 4 }));

        Assert.Equal(greedy.TakeWhile(t => t != greedy[2]), stopped);
        Assert.Equal(greedy[..3], capped);
        Assert.Equal(greedy[..2], context);
        Assert.StartsWith("The prompt has 4 tokens, and the context length is 4", tooLong.Message);
    }

    [Fact]
    public void Sampling_is_repeatable_with_a_seed_top_k_1_is_greedy_and_the_stream_is_the_same_tokens_as_the_whole()
    {
        var (session, model, _) = Open(new DecoderOptions());
        using var s = session;
        var sampling = new SlmGenerationOptions { MaxNewTokens = 16, Temperature = 1.5f, TopP = 0.95f, Seed = 42, RepetitionPenalty = 1.1f };

        var first = model.Generate(Prompt, sampling).ToList();
        var again = model.Generate(Prompt, sampling).ToList();
        var other = model.Generate(Prompt, sampling with { Seed = 43 }).ToList();
        var topOne = model.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = 16, Temperature = 1, TopK = 1 }).ToList();
        var greedy = model.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = 16 }).ToList();
        var streamed = new List<int>();
        foreach (int token in model.Generate(Prompt, sampling)) streamed.Add(token);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(greedy, topOne);
        Assert.Equal(first, streamed);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_batch_of_two_with_padding_gives_each_prompt_the_tokens_it_gets_alone(DecoderOptions options)
    {
        var (session, model, _) = Open(options);
        using var _ = session;
        int[] longer = [7, 3, 250, 19, 64, 12, 88];
        bool padding = options.AttentionMask && options.PositionIds;
        int[] shorter = padding ? [5, 17, 42, 99] : [9, 8, 7, 6, 5, 4, 3];
        var generation = new SlmGenerationOptions { MaxNewTokens = 10 };

        var batched = model.GenerateBatch([shorter, longer], generation);

        Assert.Equal(model.Generate(shorter, generation), batched[0]);
        Assert.Equal(model.Generate(longer, generation), batched[1]);
        if (!padding)
        {
            var ex = Assert.Throws<ArgumentException>(() => model.GenerateBatch([Prompt, longer], generation));
            Assert.StartsWith("The prompts differ in length, and padding them needs the model's attention_mask and position_ids inputs", ex.Message);
        }
    }

    [Fact]
    public void In_a_batch_a_row_that_meets_a_stop_token_stops_and_the_others_go_on()
    {
        var (session, model, _) = Open(new DecoderOptions());
        using var _ = session;
        int[] other = [7, 3, 250, 19, 64, 12, 88];
        var alone = model.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = 8 }).ToList();
        var generation = new SlmGenerationOptions { MaxNewTokens = 8, StopTokens = [alone[1]] };

        var batched = model.GenerateBatch([Prompt, other], generation);

        Assert.Equal(alone[..1], batched[0]);
        Assert.Equal(model.Generate(other, generation), batched[1]);
    }

    [Fact]
    public void A_model_without_a_KV_cache_or_logits_is_refused_with_what_is_missing()
    {
        var (session, _, _) = Open(new DecoderOptions());
        using var s = session;
        var (inputs, outputs) = Specs(new DecoderOptions());

        var noCache = Assert.Throws<ArgumentException>(() => new SlmCausalLm(session, inputs[..3], outputs));
        var noLogits = Assert.Throws<ArgumentException>(() => new SlmCausalLm(session, inputs, outputs[1..]));

        Assert.StartsWith("The model has no 'past_key_values.0.key' input", noCache.Message);
        Assert.StartsWith("A causal language model needs a float [batch, sequence, vocabulary] 'logits' output.", noLogits.Message);
    }
}
