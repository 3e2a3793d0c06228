using Microsoft.ML.OnnxRuntime;
using SlmOps.Testing;

namespace SlmOps.Runtime.Tests;

/// <summary>
/// The test decoder (<see cref="DecoderFactory"/>) has the cache semantics real decoders have, which the generation
/// loop's tests rely on: a prompt run once and then one token per step with the cache gives the logits of one run
/// over the whole sequence, and a wrong cache gives other logits.
/// </summary>
public sealed class DecoderFactoryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly long[] Tokens = [5, 17, 42, 99, 3, 250, 8];

    public static TheoryData<DecoderOptions> Shapes() =>
    [
        new DecoderOptions(),
        new DecoderOptions(Heads: 4, KvHeads: 4, PositionIds: false),
        new DecoderOptions(Layers: 1, KvHeads: 1, AttentionMask: false),
        new DecoderOptions(Fp16Cache: true),
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Step_by_step_with_the_cache_gives_the_logits_of_one_run_over_the_whole_sequence(DecoderOptions options)
    {
        string path = OnnxModelFactory.Write(_temp.Combine(Guid.NewGuid().ToString("N")), "decoder.onnx", DecoderFactory.Create(options));
        using var session = new InferenceSession(path);

        float[] whole = Logits(session, options, Tokens, past: null, out var wholeCache);
        DisposeAll(wholeCache);

        float[] prompt = Logits(session, options, Tokens[..3], past: null, out var cache);
        var stepped = new List<float>(prompt);
        for (int t = 3; t < Tokens.Length; t++)
        {
            stepped.AddRange(Logits(session, options, Tokens[t..(t + 1)], cache, out var next, start: t));
            DisposeAll(cache);
            cache = next;
        }

        DisposeAll(cache);
        double tolerance = options.Fp16Cache ? 2e-2 : 1e-4;
        Assert.Equal(whole.Length, stepped.Count);
        for (int i = 0; i < whole.Length; i++) Assert.True(Math.Abs(whole[i] - stepped[i]) <= tolerance, $"logit {i}: {whole[i]} vs {stepped[i]}");

        // Without the cache the last token's logits are another model's: the cache matters.
        float[] alone = Logits(session, options, Tokens[^1..], past: null, out var aloneCache);
        DisposeAll(aloneCache);
        Assert.True(alone.Zip(whole[^options.Vocabulary..]).Max(p => Math.Abs(p.First - p.Second)) > 0.1);
    }

    /// <summary>One run: <paramref name="tokens"/> at positions from <paramref name="start"/> after <paramref name="past"/>; the presents come back as the next past.</summary>
    private static float[] Logits(InferenceSession session, DecoderOptions o, long[] tokens, List<OrtValue>? past, out List<OrtValue> presents, int start = 0)
    {
        var names = new List<string> { "input_ids" };
        var values = new List<OrtValue> { OrtValue.CreateTensorValueFromMemory(tokens, [1, tokens.Length]) };
        if (o.AttentionMask)
        {
            names.Add("attention_mask");
            values.Add(OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, start + tokens.Length).ToArray(), [1, start + tokens.Length]));
        }

        if (o.PositionIds)
        {
            names.Add("position_ids");
            values.Add(OrtValue.CreateTensorValueFromMemory(Enumerable.Range(start, tokens.Length).Select(p => (long)p).ToArray(), [1, tokens.Length]));
        }

        var outputs = new List<string> { "logits" };
        int owned = values.Count;
        for (int l = 0; l < o.Layers; l++)
        {
            foreach (string part in new[] { "key", "value" })
            {
                names.Add($"past_key_values.{l}.{part}");
                long[] shape = [1, o.KvHeads, 0, o.HeadSize];
                values.Add(past?[values.Count - owned] ?? (o.Fp16Cache
                    ? OrtValue.CreateTensorValueFromMemory(Array.Empty<Float16>(), shape)
                    : OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), shape)));
                outputs.Add($"present.{l}.{part}");
            }
        }

        using var runOptions = new RunOptions();
        var results = session.Run(runOptions, names, values, outputs);
        float[] logits = results[0].GetTensorDataAsSpan<float>().ToArray();
        presents = results.Skip(1).ToList();
        results[0].Dispose();
        for (int i = 0; i < values.Count; i++)
        {
            if (i < owned || past is null) values[i].Dispose();
        }

        return logits;
    }

    private static void DisposeAll(List<OrtValue> values)
    {
        foreach (var value in values) value.Dispose();
    }
}
