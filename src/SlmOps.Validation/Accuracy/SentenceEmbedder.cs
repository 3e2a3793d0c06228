using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;

namespace SlmOps.Validation;

/// <summary>
/// Sentence embeddings from any variant of a BERT-style encoder (<c>input_ids</c>, <c>attention_mask</c>, and
/// <c>token_type_ids</c> when the model has it; the hidden state is <c>last_hidden_state</c>, else the first output): one text at a time, mean-pooled
/// and normalized, so two variants of a model compare by <see cref="EmbeddingMetrics.Cosine"/>. One intra-op thread,
/// so results do not depend on the machine's core count.
/// </summary>
public sealed class SentenceEmbedder : IDisposable
{
    private readonly InferenceSession _session;
    // BertTokenizer, not Tokenizer: through the base type EncodeToIds leaves out [CLS] and [SEP].
    private readonly BertTokenizer _tokenizer;
    private readonly bool _hasTokenTypes;
    private readonly string _output;

    /// <summary>Opens <paramref name="modelPath"/> in ONNX Runtime; <paramref name="tokenizer"/> makes its input ids.</summary>
    public SentenceEmbedder(string modelPath, BertTokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(modelPath, options);
        _hasTokenTypes = _session.InputMetadata.ContainsKey("token_type_ids");
        // In graph order: OutputMetadata is a dictionary, whose order says nothing.
        _output = _session.OutputNames.Contains("last_hidden_state") ? "last_hidden_state" : _session.OutputNames[0];
    }

    /// <summary>The normalized, mean-pooled embedding of <paramref name="text"/>.</summary>
    public float[] Embed(string text)
    {
        long[] ids = _tokenizer.EncodeToIds(text).Select(id => (long)id).ToArray();
        int length = ids.Length;
        int[] shape = [1, length];
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, length).ToArray(), shape)),
        };
        if (_hasTokenTypes) inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[length], shape)));
        using var results = _session.Run(inputs, [_output]);
        float[] pooled = EmbeddingMetrics.MeanPool(results[0].AsTensor<float>().ToArray(), length);
        System.Numerics.Tensors.TensorPrimitives.Divide(pooled, System.Numerics.Tensors.TensorPrimitives.Norm(pooled), pooled);
        return pooled;
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
