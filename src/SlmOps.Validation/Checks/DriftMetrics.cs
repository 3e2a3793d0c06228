using System.Numerics.Tensors;

namespace SlmOps.Validation;

/// <summary>The metrics that compare a variant's outputs with the original's, in double precision.</summary>
public static class DriftMetrics
{
    /// <summary>Compares one output of the two models across every sample (the lists hold one run per sample).</summary>
    public static OutputDrift Compare(string name, IReadOnlyList<OutputTensor> original, IReadOnlyList<OutputTensor> variant)
    {
        double diff2 = 0, norm2 = 0, maxAbs = 0;
        long nonFinite = 0, mismatches = 0, integers = 0, positions = 0, agreeing = 0;
        bool floating = true;
        for (int s = 0; s < original.Count; s++)
        {
            OutputTensor o = original[s], v = variant[s];
            if (!o.Shape.SequenceEqual(v.Shape))
            {
                throw new ArgumentException($"The output '{name}' has shape [{string.Join(", ", v.Shape)}] in the variant and [{string.Join(", ", o.Shape)}] in the original.");
            }

            if (o.Floats is float[] of && v.Floats is float[] vf)
            {
                for (int i = 0; i < of.Length; i++)
                {
                    if (!float.IsFinite(of[i])) continue;
                    if (!float.IsFinite(vf[i]))
                    {
                        nonFinite++;
                        continue;
                    }

                    double d = (double)vf[i] - of[i];
                    diff2 += d * d;
                    norm2 += (double)of[i] * of[i];
                    maxAbs = Math.Max(maxAbs, Math.Abs(d));
                }

                if (name == "logits" && o.Shape.Length > 0 && o.Shape[^1] > 0)
                {
                    int vocabulary = (int)o.Shape[^1];
                    for (int row = 0; row + vocabulary <= of.Length; row += vocabulary)
                    {
                        positions++;
                        if (TensorPrimitives.IndexOfMax(of.AsSpan(row, vocabulary)) == TensorPrimitives.IndexOfMax(vf.AsSpan(row, vocabulary))) agreeing++;
                    }
                }
            }
            else if (o.Integers is long[] oi && v.Integers is long[] vi)
            {
                floating = false;
                for (int i = 0; i < oi.Length; i++)
                {
                    integers++;
                    if (oi[i] != vi[i]) mismatches++;
                    maxAbs = Math.Max(maxAbs, Math.Abs((double)vi[i] - oi[i]));
                }
            }
            else
            {
                throw new ArgumentException($"The output '{name}' is {v.ElementType} in the variant and {o.ElementType} in the original.");
            }
        }

        double relative = norm2 > 0 ? Math.Sqrt(diff2 / norm2) : Math.Sqrt(diff2);
        return new OutputDrift(
            name,
            floating ? relative : 0,
            maxAbs,
            nonFinite,
            floating ? null : integers == 0 ? 0 : (double)mismatches / integers,
            positions > 0 ? (double)agreeing / positions : null);
    }

    /// <summary>
    /// The cosine between the original's and the variant's embedding of every row of every sample: a
    /// <c>[batch, tokens, width]</c> hidden state is mean-pooled over the tokens its attention mask keeps (all when
    /// there is none); a <c>[batch, width]</c> output is the embedding itself.
    /// </summary>
    /// <param name="original">The original's embedding output, one per sample.</param>
    /// <param name="variant">The variant's, on the same samples.</param>
    /// <param name="masks">Each sample's <c>attention_mask</c> ([batch, tokens]), or null.</param>
    public static IReadOnlyList<double> EmbeddingCosines(IReadOnlyList<OutputTensor> original, IReadOnlyList<OutputTensor> variant, IReadOnlyList<long[]?> masks)
    {
        var cosines = new List<double>();
        for (int s = 0; s < original.Count; s++)
        {
            float[] o = original[s].Floats ?? throw new ArgumentException("An embedding output must be floating point.");
            float[] v = variant[s].Floats ?? throw new ArgumentException("An embedding output must be floating point.");
            long[] shape = original[s].Shape;
            if (shape.Length is < 2 or > 3) throw new ArgumentException($"An embedding output has rank 2 or 3, not {shape.Length}.");
            int batch = (int)shape[0];
            int tokens = shape.Length == 3 ? (int)shape[1] : 1;
            int width = (int)shape[^1];
            for (int b = 0; b < batch; b++)
            {
                int start = b * tokens * width;
                ReadOnlySpan<long> mask = tokens > 1 && masks[s] is long[] m ? m.AsSpan(b * tokens, tokens) : default;
                cosines.Add(EmbeddingMetrics.Cosine(
                    EmbeddingMetrics.MeanPool(o.AsSpan(start, tokens * width), tokens, mask),
                    EmbeddingMetrics.MeanPool(v.AsSpan(start, tokens * width), tokens, mask)));
            }
        }

        return cosines;
    }
    /// <summary>
    /// The perplexity of a causal LM's next-token predictions on the samples, for the original and the variant:
    /// exp of the mean −log softmax(logits[t])[id[t + 1]] over every position t whose token and next token the
    /// attention mask keeps (all when there is none). Null when no position has a next token.
    /// </summary>
    /// <param name="original">The original's <c>logits</c> output ([batch, sequence, vocabulary]), one per sample.</param>
    /// <param name="variant">The variant's, on the same samples.</param>
    /// <param name="ids">Each sample's <c>input_ids</c> ([batch, sequence]).</param>
    /// <param name="masks">Each sample's <c>attention_mask</c> ([batch, sequence]), or null.</param>
    public static Perplexities? Perplexity(IReadOnlyList<OutputTensor> original, IReadOnlyList<OutputTensor> variant, IReadOnlyList<long[]> ids, IReadOnlyList<long[]?> masks)
    {
        double originalLoss = 0, variantLoss = 0;
        long tokens = 0;
        float[] scratch = [];
        for (int s = 0; s < original.Count; s++)
        {
            float[] o = original[s].Floats ?? throw new ArgumentException("The logits must be floating point.");
            float[] v = variant[s].Floats ?? throw new ArgumentException("The logits must be floating point.");
            long[] shape = original[s].Shape;
            if (shape.Length != 3) throw new ArgumentException($"The logits have rank 3 ([batch, sequence, vocabulary]), not {shape.Length}.");
            int batch = (int)shape[0], sequence = (int)shape[1], vocabulary = (int)shape[2];
            if (ids[s].Length != (long)batch * sequence)
                throw new ArgumentException($"The input_ids have {ids[s].Length} values; the logits [{string.Join(", ", shape)}] need {batch * sequence}.");
            if (scratch.Length < vocabulary) scratch = new float[vocabulary];
            long[]? mask = masks[s];
            for (int b = 0; b < batch; b++)
            {
                for (int t = 0; t + 1 < sequence; t++)
                {
                    int at = b * sequence + t;
                    if (mask is not null && (mask[at] == 0 || mask[at + 1] == 0)) continue;
                    long next = ids[s][at + 1];
                    if (next < 0 || next >= vocabulary) throw new ArgumentException($"The token id {next} is outside the logits' vocabulary of {vocabulary}.");
                    originalLoss += NegativeLogLikelihood(o.AsSpan(at * vocabulary, vocabulary), (int)next, scratch);
                    variantLoss += NegativeLogLikelihood(v.AsSpan(at * vocabulary, vocabulary), (int)next, scratch);
                    tokens++;
                }
            }
        }

        return tokens == 0 ? null : new Perplexities(Math.Exp(originalLoss / tokens), Math.Exp(variantLoss / tokens), tokens);
    }

    /// <summary>−log softmax(<paramref name="logits"/>)[<paramref name="target"/>], as log-sum-exp around the maximum.</summary>
    private static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int target, float[] scratch)
    {
        float max = TensorPrimitives.Max(logits);
        Span<float> shifted = scratch.AsSpan(0, logits.Length);
        TensorPrimitives.Subtract(logits, max, shifted);
        TensorPrimitives.Exp(shifted, shifted);
        return Math.Log(TensorPrimitives.Sum<float>(shifted)) + max - logits[target];
    }
}

/// <summary>The perplexities of the original and the variant on the same tokens, and how many tokens were predicted.</summary>
public sealed record Perplexities(double Original, double Variant, long Tokens)
{
    /// <summary>The variant's perplexity relative to the original's, minus 1 (0.05 = 5% higher).</summary>
    public double Increase => Variant / Original - 1;
}
