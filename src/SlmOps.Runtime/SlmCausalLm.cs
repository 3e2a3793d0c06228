using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace SlmOps.Runtime;

/// <summary>
/// The generation loop of a causal language model in the ONNX Runtime GenAI / Optimum layout: inputs
/// <c>input_ids</c>, optionally <c>attention_mask</c> and <c>position_ids</c>, and <c>past_key_values.N.key|value</c>
/// [batch, kv_heads, past_sequence, head_size]; outputs <c>logits</c> and <c>present.N.key|value</c>. The prompt is
/// run once, then one token per step with the cache: the <c>present</c> values ONNX Runtime returns are passed back
/// as the next <c>past_key_values</c> as they are, never copied into managed memory. Layer count, KV heads, head size
/// and the cache's element type (float or float16) come from the model's inputs, never from names or constants.
/// </summary>
/// <remarks>Generations may run on several threads at once (each has its own cache). The session belongs to the caller.</remarks>
public sealed class SlmCausalLm
{
    private readonly SlmSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly bool _mask, _positions;
    private readonly int _layers, _kvHeads, _headSize;
    private readonly bool _halfCache;

    /// <summary>Reads the model's layout from its inputs and outputs.</summary>
    /// <exception cref="ArgumentException">The model is not in the layout: the message says what is missing or odd.</exception>
    public SlmCausalLm(SlmSession session, ReadOnlySpan<SlmTensorSpec> inputSpecs, ReadOnlySpan<SlmTensorSpec> outputSpecs)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        var inputs = inputSpecs.ToArray().ToDictionary(s => s.Name, StringComparer.Ordinal);
        var outputs = outputSpecs.ToArray().ToDictionary(s => s.Name, StringComparer.Ordinal);
        if (!inputs.TryGetValue("input_ids", out var ids) || ids.ElementType != SlmElementType.Int64 || ids.Shape.Length != 2)
            throw new ArgumentException("A causal language model needs an int64 [batch, sequence] 'input_ids' input.", nameof(inputSpecs));
        if (!outputs.TryGetValue("logits", out var logits) || logits.ElementType != SlmElementType.Float || logits.Shape.Length != 3)
            throw new ArgumentException("A causal language model needs a float [batch, sequence, vocabulary] 'logits' output.", nameof(outputSpecs));
        _mask = inputs.ContainsKey("attention_mask");
        _positions = inputs.ContainsKey("position_ids");
        while (inputs.ContainsKey($"past_key_values.{_layers}.key")) _layers++;
        if (_layers == 0) throw new ArgumentException("The model has no 'past_key_values.0.key' input: without a KV cache there is no generation loop to run.", nameof(inputSpecs));

        SlmTensorSpec first = inputs["past_key_values.0.key"];
        if (first.Shape.Length != 4 || first.Shape[1].Size is not long heads || first.Shape[3].Size is not long size)
            throw new ArgumentException($"'past_key_values.0.key' is {first}; a KV cache is [batch, kv_heads, past_sequence, head_size] with fixed heads and head size.", nameof(inputSpecs));
        (_kvHeads, _headSize, _halfCache) = ((int)heads, (int)size, first.ElementType == SlmElementType.Float16);
        var names = new List<string> { "input_ids" };
        if (_mask) names.Add("attention_mask");
        if (_positions) names.Add("position_ids");
        var outNames = new List<string> { "logits" };
        for (int l = 0; l < _layers; l++)
        {
            foreach (string part in new[] { "key", "value" })
            {
                if (!inputs.TryGetValue($"past_key_values.{l}.{part}", out var past) || !past.Shape.SequenceEqual(first.Shape) || past.ElementType != first.ElementType)
                    throw new ArgumentException($"'past_key_values.{l}.{part}' is missing or unlike 'past_key_values.0.key' ({first}).", nameof(inputSpecs));
                if (!outputs.ContainsKey($"present.{l}.{part}"))
                    throw new ArgumentException($"The model has 'past_key_values.{l}.{part}' but no 'present.{l}.{part}' output to feed it from.", nameof(outputSpecs));
                names.Add($"past_key_values.{l}.{part}");
                outNames.Add($"present.{l}.{part}");
            }
        }

        if (inputs.Keys.Except(names).FirstOrDefault() is { } unknown)
            throw new ArgumentException($"The model takes '{unknown}', which the generation loop does not know how to fill.", nameof(inputSpecs));
        _inputNames = [.. names];
        _outputNames = [.. outNames];
        Vocabulary = logits.Shape[2].Size is long v ? (int)v : null;
    }

    /// <summary>Decoder layers (pairs of <c>past_key_values</c>).</summary>
    public int Layers => _layers;

    /// <summary>Key/value heads per layer.</summary>
    public int KeyValueHeads => _kvHeads;

    /// <summary>The size of one head.</summary>
    public int HeadSize => _headSize;

    /// <summary>The vocabulary size when the model declares it.</summary>
    public int? Vocabulary { get; }

    /// <summary>
    /// Generates tokens after <paramref name="prompt"/>, each as soon as it is chosen (stream them, or collect them),
    /// until a stop token (not returned), <see cref="SlmGenerationOptions.MaxNewTokens"/>, or the context length.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is empty, or longer than the context length.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed.</exception>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, SlmGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var o = options ?? new SlmGenerationOptions();
        if (prompt.Count == 0) throw new ArgumentException("The prompt has no tokens.", nameof(prompt));
        if (o.ContextLength is int context && prompt.Count >= context)
            throw new ArgumentException($"The prompt has {prompt.Count} tokens, and the context length is {context}: no room for one more. Shorten the prompt or raise ContextLength.", nameof(prompt));
        return Steps(prompt, o, cancellationToken);
    }

    private IEnumerable<int> Steps(IReadOnlyList<int> prompt, SlmGenerationOptions o, CancellationToken cancellationToken)
    {
        var sampler = new Sampler(o);
        var history = new List<int>(prompt);
        var past = new OrtValue[2 * _layers];
        for (int i = 0; i < past.Length; i++)
            past[i] = _halfCache
                ? OrtValue.CreateTensorValueFromMemory(Array.Empty<Float16>(), [1, _kvHeads, 0, _headSize])
                : OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [1, _kvHeads, 0, _headSize]);
        var values = new OrtValue[_inputNames.Length];
        using var runOptions = new RunOptions();
        // One buffer of ones for the attention mask and one of positions, sliced every step and doubled when full.
        long[] ones = [], positions = [];
        void Reserve(int length)
        {
            if (ones.Length >= length) return;
            int capacity = Math.Max(length, Math.Min(2 * Math.Max(ones.Length, 64), Array.MaxLength));
            ones = new long[capacity];
            positions = new long[capacity];
            Array.Fill(ones, 1L);
            for (int p = 0; p < capacity; p++) positions[p] = p;
        }

        long[] step = prompt.Select(t => (long)t).ToArray(), single = new long[1];
        try
        {
            for (int produced = 0; produced < o.MaxNewTokens && (o.ContextLength is not int limit || history.Count < limit); produced++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int total = history.Count, fresh = step.Length, v = 0;
                Reserve(total);
                values[v++] = OrtValue.CreateTensorValueFromMemory(step, [1, fresh]);
                if (_mask) values[v++] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ones.AsMemory(0, total), [1, total]);
                if (_positions) values[v++] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, positions.AsMemory(total - fresh, fresh), [1, fresh]);
                for (int i = 0; i < past.Length; i++) values[v + i] = past[i];

                IDisposableReadOnlyCollection<OrtValue> results;
                try
                {
                    results = _session.OrtSession.Run(runOptions, _inputNames, values, _outputNames);
                }
                catch (OnnxRuntimeException ex)
                {
                    throw new InvalidOperationException($"Running the model '{_session.ModelPath}' failed at token {total}: {ex.Message}", ex);
                }
                finally
                {
                    for (int i = 0; i < v; i++) values[i].Dispose();
                }

                int next;
                using (OrtValue logits = results[0])
                {
                    ReadOnlySpan<float> all = logits.GetTensorDataAsSpan<float>();
                    int vocabulary = all.Length / fresh;
                    next = sampler.Next(all.Slice((fresh - 1) * vocabulary, vocabulary), history);
                }

                // The presents are the next step's past, as ONNX Runtime returned them.
                for (int i = 0; i < past.Length; i++)
                {
                    past[i].Dispose();
                    past[i] = results[i + 1];
                }

                if (o.StopTokens.Contains(next)) yield break;
                history.Add(next);
                single[0] = next;
                step = single;
                yield return next;
            }
        }
        finally
        {
            foreach (OrtValue value in past) value?.Dispose();
        }
    }

    /// <summary>Greedy or sampled choice of the next token, with the repetition penalty.</summary>
    private sealed class Sampler(SlmGenerationOptions o)
    {
        private readonly Random _random = o.Seed is int seed ? new Random(seed) : new Random();
        private float[] _scores = [];
        private int[] _order = [];

        public int Next(ReadOnlySpan<float> logits, IReadOnlyList<int> history)
        {
            if (o.Temperature <= 0 && o.RepetitionPenalty == 1) return TensorPrimitives.IndexOfMax(logits);
            if (_scores.Length != logits.Length)
            {
                _scores = new float[logits.Length];
                _order = new int[logits.Length];
            }

            logits.CopyTo(_scores);
            if (o.RepetitionPenalty != 1)
            {
                foreach (int token in history.Distinct())
                {
                    if ((uint)token < (uint)_scores.Length)
                        _scores[token] = _scores[token] > 0 ? _scores[token] / o.RepetitionPenalty : _scores[token] * o.RepetitionPenalty;
                }
            }

            if (o.Temperature <= 0) return TensorPrimitives.IndexOfMax(_scores);

            TensorPrimitives.Divide(_scores, o.Temperature, _scores);
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            Array.Sort(_order, (a, b) => _scores[b].CompareTo(_scores[a]));
            int kept = o.TopK > 0 ? Math.Min(o.TopK, _order.Length) : _order.Length;
            float max = _scores[_order[0]];
            var probabilities = new double[kept];
            double sum = 0;
            for (int i = 0; i < kept; i++) sum += probabilities[i] = Math.Exp(_scores[_order[i]] - max);
            if (o.TopP < 1)
            {
                double cumulative = 0;
                for (int i = 0; i < kept; i++)
                {
                    cumulative += probabilities[i] / sum;
                    if (cumulative >= o.TopP)
                    {
                        kept = i + 1;
                        break;
                    }
                }

                sum = probabilities.Take(kept).Sum();
            }

            double pick = _random.NextDouble() * sum;
            for (int i = 0; i < kept; i++)
            {
                pick -= probabilities[i];
                if (pick <= 0) return _order[i];
            }

            return _order[kept - 1];
        }
    }
}
