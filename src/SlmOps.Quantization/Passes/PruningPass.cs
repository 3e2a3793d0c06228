using System.Runtime.InteropServices;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Quantization.Passes;

/// <summary>
/// Pruning without quantization (fp32 and fp16 outputs): the selected MatMul/Gemm weights are written back in their
/// own layout with the smallest weights zeroed. With int4/int8 the weight passes prune before quantizing instead.
/// </summary>
internal static class PruningPass
{
    public static void Apply(QuantizationContext context)
    {
        if (context.Options.Pruning is null) return;
        var seen = new HashSet<TensorProto>(ReferenceEqualityComparer.Instance);
        foreach (var candidate in WeightCandidates.Find(context))
        {
            if (!seen.Add(candidate.Weight)) continue;
            var header = candidate.Weight;
            long bytes = candidate.K * candidate.N * 4;
            var report = context.Report(candidate, $"pruned {context.Options.Pruning} float32", bytes);
            context.Pruned[header] = (candidate, report);
            context.Groups.RemoveAll(g => g.Headers.Contains(header));
            context.Groups.Add(new PayloadGroup([header], [bytes], () => context.Produce(header, output =>
            {
                var (values, sparsity) = Read(context, candidate);
                report.Sparsity = sparsity;
                MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(output.Add(bytes));
            }), workingSetBytes: 3 * bytes));
        }
    }

    /// <summary>The pruned weights in the tensor's stored layout.</summary>
    public static (float[] Values, double? Sparsity) Read(QuantizationContext context, WeightCandidate candidate)
    {
        using var weights = WeightMatrix.Read(context, candidate.Weight, candidate.K, candidate.N, candidate.Transposed);
        var values = weights.Array;
        return (candidate.Transposed ? WeightMatrix.Transpose(values, (int)candidate.K, (int)candidate.N) : values, weights.Sparsity);
    }
}
