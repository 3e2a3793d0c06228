using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization;

/// <summary>Reads a candidate's weight as a [K, N] row-major float matrix, pruned when asked.</summary>
internal static class WeightMatrix
{
    /// <summary>
    /// The weights as [K, N] and, with pruning, the sparsity reached. Mapped straight from the source when nothing
    /// changes them; copied when they must be transposed or pruned. Runs on a writer thread; dispose when done.
    /// </summary>
    public static WeightValues Read(QuantizationContext context, TensorProto weight, long k, long n, bool transposed)
    {
        var payload = context.OpenFloats(weight);
        if (!transposed && context.Options.Pruning is null) return new WeightValues(payload, null, null);
        float[] values;
        using (payload)
        {
            values = transposed ? Transpose(payload.Values, (int)n, (int)k) : payload.Values.ToArray();
        }
        if (context.Options.Pruning is null) return new WeightValues(null, values, null);
        CheckFinite(context, weight, values); // the kernels check too, but pruning must not rank NaN first
        return new WeightValues(null, values, Prune(context, weight, values, k, n));
    }

    private static void CheckFinite(QuantizationContext context, TensorProto weight, float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) throw context.NonFinite(weight, new NonFiniteWeightException(i, values[i]));
        }
    }

    private static double? Prune(QuantizationContext context, TensorProto weight, float[] values, long k, long n)
    {
        switch (context.Options.Pruning)
        {
            case MagnitudePruning magnitude:
                Pruner.Magnitude(values, magnitude.Sparsity);
                return Pruner.Sparsity(values);
            case TwoFourPruning when k % 4 != 0:
                context.Info($"Weight '{weight.Name}' not pruned 2:4: its reduction dimension {k} is not a multiple of 4.");
                return Pruner.Sparsity(values);
            case TwoFourPruning:
                Pruner.TwoFour(values, (int)k, (int)n);
                return Pruner.Sparsity(values);
            default:
                return null;
        }
    }

    /// <summary>[rows, cols] → [cols, rows].</summary>
    public static float[] Transpose(ReadOnlySpan<float> source, int rows, int cols)
    {
        var result = new float[source.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++) result[c * rows + r] = source[r * cols + c];
        }
        return result;
    }
}
