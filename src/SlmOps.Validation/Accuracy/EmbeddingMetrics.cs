using System.Numerics.Tensors;

namespace SlmOps.Validation;

/// <summary>
/// How far a variant's embeddings drift from the original's: mean pooling of a hidden state over its tokens, and the
/// cosine between two vectors (1 = same direction). Vectorized with System.Numerics.Tensors.
/// </summary>
public static class EmbeddingMetrics
{
    /// <summary>The mean over the tokens of a row-major <c>[tokens, width]</c> hidden state (batch 1).</summary>
    public static float[] MeanPool(ReadOnlySpan<float> hidden, int tokens) => MeanPool(hidden, tokens, default);

    /// <summary>
    /// The mean over the tokens that <paramref name="mask"/> keeps (non-zero; every token when it is empty) of a
    /// row-major <c>[tokens, width]</c> hidden state: what sentence-embedding models do with padded batches.
    /// </summary>
    public static float[] MeanPool(ReadOnlySpan<float> hidden, int tokens, ReadOnlySpan<long> mask)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        if (hidden.Length % tokens != 0)
            throw new ArgumentException($"A hidden state of {hidden.Length} values is not {tokens} rows of equal width.", nameof(hidden));
        if (!mask.IsEmpty && mask.Length != tokens)
            throw new ArgumentException($"A mask of {mask.Length} values does not fit {tokens} tokens.", nameof(mask));
        int width = hidden.Length / tokens;
        var pooled = new float[width];
        int kept = 0;
        for (int t = 0; t < tokens; t++)
        {
            if (!mask.IsEmpty && mask[t] == 0) continue;
            TensorPrimitives.Add(pooled, hidden.Slice(t * width, width), pooled);
            kept++;
        }

        if (kept > 0) TensorPrimitives.Divide(pooled, kept, pooled);
        return pooled;
    }

    /// <summary>The cosine similarity of two vectors of equal length.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);
}
