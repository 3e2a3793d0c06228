using SlmOps.Onnx;
using SlmOps.Quantization.Kernels;
using SlmOps.Quantization.Passes;

namespace SlmOps.Quantization;

/// <summary>
/// One weight that int4 rewrites, as a unit of a mixed-precision choice: a MatMul/Gemm weight, or an embedding table
/// with <see cref="QuantizationOptions.QuantizeEmbeddings"/>. <see cref="QuantizationOptions.Int8Layers"/> takes its
/// <see cref="Weight"/> name to keep it at 8 bits.
/// </summary>
/// <param name="Weight">The initializer's name (unique per layer: a weight several nodes share is one layer).</param>
/// <param name="Node">The first node that reads it.</param>
/// <param name="Input">The activation it multiplies (the MatMul's A); null for an embedding table.</param>
/// <param name="K">The reduction dimension (an embedding's width).</param>
/// <param name="N">The output columns (an embedding's vocabulary).</param>
/// <param name="Transposed">The weight is stored [N, K] (Gemm with transB, an embedding table).</param>
public sealed record QuantizableLayer(string Weight, string Node, string? Input, long K, long N, bool Transposed)
{
    public bool IsEmbedding => Input is null;

    /// <summary>The bytes the layer takes at <paramref name="bits"/> in <paramref name="options"/>' block format (data, scales, zero points).</summary>
    public long BytesAt(int bits, QuantizationOptions options)
    {
        var format = new BlockwiseFormat(bits, options.BlockSize, options.Symmetric);
        int k = checked((int)K), n = checked((int)N);
        return format.PackedByteCount(k, n) + (long)n * format.BlockCount(k) * 4 + format.ZeroPointByteCount(k, n);
    }
}

/// <summary>
/// What a mixed-precision search needs from the engine: the layers int4 rewrites, and how much error each one
/// introduces at 4 or 8 bits, as a cheap proxy for its sensitivity (no model run).
/// </summary>
public static class MixedPrecision
{
    /// <summary>The layers that int4 with <paramref name="options"/> (layer selection, embeddings) rewrites, in graph order.</summary>
    public static IReadOnlyList<QuantizableLayer> Layers(OnnxModel source, QuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var context = new QuantizationContext(source, options with { Precision = Precision.Int4 });
        var layers = new List<QuantizableLayer>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in WeightCandidates.Find(context))
        {
            if (seen.Add(candidate.Weight.Name))
                layers.Add(new(candidate.Weight.Name, WeightCandidates.NodeName(candidate.Node), candidate.Node.Input[0], candidate.K, candidate.N, candidate.Transposed));
        }
        if (options.QuantizeEmbeddings)
        {
            foreach (var (node, table) in BlockwisePass.EmbeddingCandidates(context))
            {
                if (seen.Add(table.Name)) layers.Add(new(table.Name, WeightCandidates.NodeName(node), null, table.Dims[1], table.Dims[0], Transposed: true));
            }
        }
        return layers;
    }

    /// <summary>
    /// The relative squared error of the layer's output when its weight is quantized to <paramref name="bits"/>,
    /// estimated from the weights alone: Σₖ eₖ Σₙ (wₖₙ − ŵₖₙ)² / Σₖ eₖ Σₙ wₖₙ², where eₖ is the mean square of input
    /// channel k over the sample activations (<paramref name="channelEnergy"/>, K values; empty: all 1, as for an
    /// embedding table, whose rows are read one at a time). It is exact for inputs whose channels are uncorrelated,
    /// and weighs the channels that carry outliers most, as activation-aware methods do.
    /// </summary>
    public static double RelativeError(OnnxModel source, QuantizableLayer layer, int bits, QuantizationOptions options, ReadOnlySpan<float> channelEnergy)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(layer);
        int k = checked((int)layer.K), n = checked((int)layer.N);
        if (channelEnergy.Length is not 0 && channelEnergy.Length != k)
            throw new ArgumentException($"The layer '{layer.Weight}' has {k} input channels, but {channelEnergy.Length} energies were given.", nameof(channelEnergy));

        using var context = new QuantizationContext(source, options);
        var weight = context.FindInitializer(layer.Weight)
            ?? throw new ArgumentException($"The model has no initializer '{layer.Weight}'.", nameof(layer));
        var format = new BlockwiseFormat(bits, options.BlockSize, options.Symmetric);
        var packed = new byte[format.PackedByteCount(k, n)];
        var scales = new float[n * format.BlockCount(k)];
        var zeroPoints = new byte[format.ZeroPointByteCount(k, n)];
        var restored = new float[(long)k * n];
        using var values = WeightMatrix.Read(context, weight, k, n, layer.Transposed);
        try
        {
            BlockwiseQuantizer.Quantize(values.Values, k, n, format, packed, scales, zeroPoints, new BlockwiseOptions { ScaleSearch = options.ScaleSearch });
        }
        catch (NonFiniteWeightException ex)
        {
            throw context.NonFinite(weight, ex);
        }
        BlockwiseQuantizer.Dequantize(packed, scales, zeroPoints, k, n, format, restored);

        double error = 0, total = 0;
        var w = values.Values;
        for (int row = 0; row < k; row++)
        {
            double rowError = 0, rowTotal = 0;
            for (int column = 0, at = row * n; column < n; column++, at++)
            {
                double d = w[at] - restored[at];
                rowError += d * d;
                rowTotal += (double)w[at] * w[at];
            }
            double e = channelEnergy.IsEmpty ? 1 : channelEnergy[row];
            error += e * rowError;
            total += e * rowTotal;
        }
        return total > 0 ? error / total : 0;
    }
}
