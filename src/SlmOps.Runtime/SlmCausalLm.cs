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
    /// <param name="session">The decoder.</param>
    /// <param name="inputSpecs">Its inputs (a generated wrapper's specs).</param>
    /// <param name="outputSpecs">Its outputs.</param>
    /// <param name="contextLength">The model's context length (genai_config.json's <c>context_length</c>), for generations whose options give none; null: unlimited.</param>
    /// <exception cref="ArgumentException">The model is not in the layout: the message says what is missing or odd.</exception>
    public SlmCausalLm(SlmSession session, ReadOnlySpan<SlmTensorSpec> inputSpecs, ReadOnlySpan<SlmTensorSpec> outputSpecs, int? contextLength = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (contextLength is <= 1) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "A context length is at least 2 tokens.");
        _session = session;
        ContextLength = contextLength;
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

    /// <summary>The model's context length, which a generation's <see cref="SlmGenerationOptions.ContextLength"/> overrides; null: none.</summary>
    public int? ContextLength { get; }

    /// <summary>
    /// Generates tokens after <paramref name="prompt"/>, each as soon as it is chosen (stream them, or collect them),
    /// until a stop token (not returned), <see cref="SlmGenerationOptions.MaxNewTokens"/>, or the context length.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is empty, or longer than the context length.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed.</exception>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, SlmGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        SlmGenerationOptions o = Resolve(options);
        Check(prompt, o, nameof(prompt));
        return Steps(prompt, o, cancellationToken);
    }

    /// <summary>The options, with the model's context length when they give none.</summary>
    private SlmGenerationOptions Resolve(SlmGenerationOptions? options)
    {
        var o = options ?? new SlmGenerationOptions();
        return o.ContextLength is null && ContextLength is int model ? o with { ContextLength = model } : o;
    }

    /// <summary>A prompt must have a token and leave room for one more within the context length.</summary>
    private static void Check(IReadOnlyList<int> prompt, SlmGenerationOptions o, string parameter)
    {
        ArgumentNullException.ThrowIfNull(prompt, parameter);
        if (prompt.Count == 0) throw new ArgumentException("The prompt has no tokens.", parameter);
        if (o.ContextLength is int context && prompt.Count >= context)
            throw new ArgumentException($"The prompt has {prompt.Count} tokens, and the context length is {context}: no room for one more. Shorten the prompt or raise ContextLength.", parameter);
    }

    /// <summary>
    /// Generates for several prompts at once, in one batch: shorter prompts are padded on the left and masked, so each
    /// row gets the tokens it would get alone. Prompts of different lengths need the model's <c>attention_mask</c> and
    /// <c>position_ids</c> inputs.
    /// Sampling uses <see cref="SlmGenerationOptions.Seed"/> plus the row's index for each row.
    /// </summary>
    /// <returns>The new tokens of each prompt, in order.</returns>
    /// <exception cref="ArgumentException">No prompts, an empty one, prompts of different lengths without both an attention mask and position ids, or one beyond the context length.</exception>
    public IReadOnlyList<IReadOnlyList<int>> GenerateBatch(IReadOnlyList<IReadOnlyList<int>> prompts, SlmGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        SlmGenerationOptions o = Resolve(options);
        if (prompts.Count == 0) throw new ArgumentException("There are no prompts.", nameof(prompts));
        foreach (var prompt in prompts) Check(prompt, o, nameof(prompts));
        // Padding needs a mask to hide the padded tokens and explicit positions to start each row at 0.
        if ((!_mask || !_positions) && prompts.Any(p => p.Count != prompts[0].Count))
            throw new ArgumentException("The prompts differ in length, and padding them needs the model's attention_mask and position_ids inputs, which it does not have both of: generate them one by one.", nameof(prompts));
        var outputs = prompts.Select(_ => new List<int>()).ToList();
        foreach (int[] step in Steps(prompts, o, cancellationToken))
        {
            for (int r = 0; r < step.Length; r++)
            {
                if (step[r] >= 0) outputs[r].Add(step[r]);
            }
        }

        return outputs;
    }

    private IEnumerable<int> Steps(IReadOnlyList<int> prompt, SlmGenerationOptions o, CancellationToken cancellationToken)
    {
        foreach (int[] step in Steps([prompt], o, cancellationToken))
        {
            if (step[0] < 0) yield break;
            yield return step[0];
        }
    }

    /// <summary>
    /// The loop for a batch: each step's chosen token of every row, -1 for a row that has stopped. Prompts are padded
    /// on the left (masked out, position 0), so the last column is every row's last token.
    /// </summary>
    private IEnumerable<int[]> Steps(IReadOnlyList<IReadOnlyList<int>> prompts, SlmGenerationOptions o, CancellationToken cancellationToken)
    {
        int batch = prompts.Count, width = prompts.Max(p => p.Count);
        int[] pads = prompts.Select(p => width - p.Count).ToArray();
        var samplers = Enumerable.Range(0, batch).Select(r => new Sampler(o with { Seed = o.Seed + r })).ToArray();
        var histories = prompts.Select(p => new List<int>(p)).ToArray();
        var active = Enumerable.Repeat(true, batch).ToArray();
        var past = new OrtValue[2 * _layers];
        for (int i = 0; i < past.Length; i++)
            past[i] = _halfCache
                ? OrtValue.CreateTensorValueFromMemory(Array.Empty<Float16>(), [batch, _kvHeads, 0, _headSize])
                : OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [batch, _kvHeads, 0, _headSize]);
        var values = new OrtValue[_inputNames.Length];
        using var runOptions = new RunOptions();
        // Reused buffers, grown when needed: the step's ids, the mask [batch, total] and the positions [batch, fresh].
        long[] ids = new long[batch * width], mask = [], positions = new long[batch * width];
        for (int r = 0; r < batch; r++)
        {
            for (int c = 0; c < width; c++)
            {
                ids[r * width + c] = c < pads[r] ? 0 : prompts[r][c - pads[r]];
                positions[r * width + c] = Math.Max(0, c - pads[r]);
            }
        }

        int fresh = width, total = 0;
        try
        {
            for (int produced = 0; produced < o.MaxNewTokens && active.Any(a => a) && (o.ContextLength is not int limit || width + produced < limit); produced++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                total += fresh;
                if (_mask)
                {
                    if (mask.Length < batch * total) mask = new long[Math.Max(batch * total, 2 * mask.Length)];
                    for (int r = 0; r < batch; r++)
                    {
                        Span<long> row = mask.AsSpan(r * total, total);
                        row[..pads[r]].Clear();
                        row[pads[r]..].Fill(1L);
                    }
                }

                int v = 0;
                values[v++] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ids.AsMemory(0, batch * fresh), [batch, fresh]);
                if (_mask) values[v++] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, mask.AsMemory(0, batch * total), [batch, total]);
                if (_positions) values[v++] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, positions.AsMemory(0, batch * fresh), [batch, fresh]);
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

                var chosen = new int[batch];
                using (OrtValue logits = results[0])
                {
                    ReadOnlySpan<float> all = logits.GetTensorDataAsSpan<float>();
                    int vocabulary = all.Length / (batch * fresh);
                    for (int r = 0; r < batch; r++)
                    {
                        int next = active[r] ? samplers[r].Next(all.Slice(((r * fresh) + fresh - 1) * vocabulary, vocabulary), histories[r]) : -1;
                        if (next >= 0 && o.StopTokens.Contains(next))
                        {
                            active[r] = false;
                            next = -1;
                        }

                        chosen[r] = next;
                        if (next >= 0) histories[r].Add(next);
                    }
                }

                // The presents are the next step's past, as ONNX Runtime returned them.
                for (int i = 0; i < past.Length; i++)
                {
                    past[i].Dispose();
                    past[i] = results[i + 1];
                }

                fresh = 1;
                for (int r = 0; r < batch; r++)
                {
                    // A stopped row goes on with a padding token, so that the batch's cache stays one shape.
                    ids[r] = Math.Max(chosen[r], 0);
                    positions[r] = total - pads[r];
                }

                yield return chosen;
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
