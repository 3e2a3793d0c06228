using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace SlmOps.Runtime;

/// <summary>
/// Sentence embeddings from a BERT-style encoder (inputs <c>input_ids</c>, and <c>attention_mask</c> and
/// <c>token_type_ids</c> when it has them) as a Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>:
/// texts are tokenized, batched with padding, run, mean-pooled over the attention mask (or taken as they are when the
/// model outputs a pooled <c>sentence_embedding</c>), and scaled to unit length. Generated wrappers of embedding
/// models implement the interface with one of these.
/// </summary>
/// <remarks>
/// <see cref="GenerateAsync"/> may be called from several threads at once, as <see cref="SlmSession.Run"/> may. The
/// generator does not own the session: dispose the session (or the wrapper) when done.
/// </remarks>
public sealed class SlmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private static readonly string[] PooledOutputs = ["sentence_embedding", "embeddings", "sentence_embeddings"];

    private readonly SlmSession _session;
    private readonly Tokenizer _tokenizer;
    private readonly SlmEmbeddingOptions _options;
    private readonly SlmTensorSpec[] _inputs;
    private readonly int _ids, _mask = -1, _segments = -1;
    private readonly SlmTensorSpec[] _output;
    private readonly bool _pooled;

    /// <summary>Makes a generator over an open session.</summary>
    /// <param name="session">The encoder.</param>
    /// <param name="inputSpecs">The session's inputs, in graph order (a generated wrapper's specs).</param>
    /// <param name="outputSpecs">The session's outputs: the pooled embedding when there is one, else <c>last_hidden_state</c>, else the first rank-3 float output is used.</param>
    /// <param name="tokenizer">Makes the token ids, with the special tokens the model expects.</param>
    /// <param name="modelId">The model's name, for <see cref="EmbeddingGeneratorMetadata"/>.</param>
    /// <param name="options">Token limit, batch size, normalization; null: the defaults.</param>
    /// <exception cref="ArgumentException">The model has no <c>input_ids</c>, an input the generator cannot fill, or no float output it can pool.</exception>
    public SlmEmbeddingGenerator(SlmSession session, ReadOnlySpan<SlmTensorSpec> inputSpecs, ReadOnlySpan<SlmTensorSpec> outputSpecs, Tokenizer tokenizer, string modelId, SlmEmbeddingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _session = session;
        _tokenizer = tokenizer;
        _options = options ?? new SlmEmbeddingOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxTokens, 2, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BatchSize, 1, nameof(options));
        _inputs = inputSpecs.ToArray();
        _ids = -1;
        for (int i = 0; i < _inputs.Length; i++)
        {
            SlmTensorSpec spec = _inputs[i];
            if (spec.Shape.Length != 2 || spec.ElementType is not (SlmElementType.Int64 or SlmElementType.Int32))
                throw new ArgumentException($"The input '{spec.Name}' is {spec}; an embedding generator fills [batch, sequence] int64 or int32 token inputs only.", nameof(inputSpecs));
            switch (spec.Name)
            {
                case "input_ids": _ids = i; break;
                case "attention_mask": _mask = i; break;
                case "token_type_ids": _segments = i; break;
                default: throw new ArgumentException($"The model takes '{spec.Name}', which an embedding generator does not know how to fill (it fills input_ids, attention_mask and token_type_ids).", nameof(inputSpecs));
            }
        }

        if (_ids < 0) throw new ArgumentException("The model has no 'input_ids' input: it is not a text encoder an embedding generator can drive.", nameof(inputSpecs));

        SlmTensorSpec? output = null;
        foreach (SlmTensorSpec spec in outputSpecs)
        {
            if (spec.ElementType != SlmElementType.Float) continue;
            if (spec.Shape.Length == 2 && Array.IndexOf(PooledOutputs, spec.Name) >= 0)
            {
                output = spec;
                _pooled = true;
                break;
            }

            if (spec.Shape.Length == 3 && (output is null || spec.Name == "last_hidden_state")) output = spec;
        }

        _output = [output ?? throw new ArgumentException("The model has no float output to pool: neither a [batch, dimensions] sentence_embedding nor a [batch, sequence, dimensions] hidden state.", nameof(outputSpecs))];
        int? dimensions = output.Shape[^1].Size is long size ? checked((int)size) : null;
        Metadata = new EmbeddingGeneratorMetadata("SlmOps", null, modelId, dimensions);
    }

    /// <summary>The provider (SlmOps), the model's name and the embedding's dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>The output the embeddings come from.</summary>
    public string OutputName => _output[0].Name;

    /// <summary>Embeds <paramref name="values"/>, one embedding per text in order.</summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed.</exception>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        long tokens = 0;
        for (int start = 0; start < texts.Count; start += _options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(_options.BatchSize, texts.Count - start);
            foreach (float[] vector in Embed(texts.GetRange(start, count), ref tokens))
                result.Add(new Embedding<float>(vector) { ModelId = Metadata.DefaultModelId });
        }

        result.Usage = new UsageDetails { InputTokenCount = tokens };
        return Task.FromResult(result);
    }

    /// <summary>One batch: token ids padded to the longest, one run, pooled and normalized vectors in order; <paramref name="counted"/> grows by its tokens.</summary>
    private List<float[]> Embed(List<string> texts, ref long counted)
    {
        var ids = new List<IReadOnlyList<int>>(texts.Count);
        foreach (string text in texts)
        {
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            ids.Add(_tokenizer is BertTokenizer bert
                ? bert.EncodeToIds(text, _options.MaxTokens, addSpecialTokens: true, out _, out _)
                : _tokenizer.EncodeToIds(text, _options.MaxTokens, out _, out _));
        }

        int batch = texts.Count;
        int length = Math.Max(1, ids.Max(t => t.Count));
        long padding = _tokenizer is BertTokenizer b ? b.PaddingTokenId : 0;
        var tokens = new long[batch * length];
        var mask = new long[batch * length];
        Array.Fill(tokens, padding);
        for (int row = 0; row < batch; row++)
        {
            for (int t = 0; t < ids[row].Count; t++)
            {
                tokens[row * length + t] = ids[row][t];
                mask[row * length + t] = 1;
            }

            counted += ids[row].Count;
        }

        var inputs = new SlmTensor[_inputs.Length];
        inputs[_ids] = Tokens(_inputs[_ids], tokens, batch, length);
        if (_mask >= 0) inputs[_mask] = Tokens(_inputs[_mask], mask, batch, length);
        if (_segments >= 0) inputs[_segments] = Tokens(_inputs[_segments], new long[batch * length], batch, length);
        var output = (SlmTensor<float>)_session.Run(_inputs, inputs, _output)[0];

        var vectors = new List<float[]>(batch);
        ReadOnlySpan<float> values = output.Span;
        for (int row = 0; row < batch; row++)
        {
            float[] vector;
            if (_pooled)
            {
                int width = (int)output.Shape[1];
                vector = values.Slice(row * width, width).ToArray();
            }
            else
            {
                int width = (int)output.Shape[2];
                vector = MeanPool(values.Slice(row * length * width, length * width), width, mask.AsSpan(row * length, length));
            }

            if (_options.Normalize)
            {
                float norm = TensorPrimitives.Norm(vector);
                if (norm > 0) TensorPrimitives.Divide(vector, norm, vector);
            }

            vectors.Add(vector);
        }

        return vectors;
    }

    /// <summary>
    /// The mean over the tokens <paramref name="mask"/> keeps of a row-major <c>[tokens, width]</c> hidden state,
    /// summed token by token in order (what sentence-transformers' mean pooling computes).
    /// </summary>
    public static float[] MeanPool(ReadOnlySpan<float> hidden, int width, ReadOnlySpan<long> mask)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (hidden.Length != mask.Length * width)
            throw new ArgumentException($"A hidden state of {hidden.Length} values is not {mask.Length} tokens of {width}.", nameof(hidden));
        var pooled = new float[width];
        int kept = 0;
        for (int t = 0; t < mask.Length; t++)
        {
            if (mask[t] == 0) continue;
            TensorPrimitives.Add(pooled, hidden.Slice(t * width, width), pooled);
            kept++;
        }

        if (kept > 0) TensorPrimitives.Divide(pooled, kept, pooled);
        return pooled;
    }

    private static SlmTensor Tokens(SlmTensorSpec spec, long[] values, int batch, int length) =>
        spec.ElementType == SlmElementType.Int64
            ? SlmTensor<long>.Create(values, batch, length)
            : SlmTensor<int>.Create(Array.ConvertAll(values, v => checked((int)v)), batch, length);

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType == typeof(Tokenizer)) return _tokenizer;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Nothing to release: the session belongs to whoever opened it.</summary>
    public void Dispose()
    {
    }
}
