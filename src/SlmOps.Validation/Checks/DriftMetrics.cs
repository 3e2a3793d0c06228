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
}
