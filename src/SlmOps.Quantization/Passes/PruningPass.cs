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
    /// <summary>Prunes the selected weights; returns them by output header (empty without pruning).</summary>
    public static IReadOnlyDictionary<TensorProto, (WeightCandidate Candidate, TensorReport Report)> Apply(QuantizationContext context)
    {
        var pruned = new Dictionary<TensorProto, (WeightCandidate Candidate, TensorReport Report)>(ReferenceEqualityComparer.Instance);
        if (context.Options.Pruning is null) return pruned;
        foreach (var candidate in WeightCandidates.Find(context))
        {
            var header = candidate.Weight;
            if (pruned.ContainsKey(header)) continue;
            long bytes = candidate.K * candidate.N * 4;
            var report = context.Report(candidate, $"pruned {context.Options.Pruning} float32", bytes);
            pruned.Add(header, (candidate, report));
            context.Groups.RemoveAll(g => g.Headers.Contains(header));
            context.Groups.Add(new PayloadGroup([header], [bytes], () => context.Produce(header, output =>
            {
                var (values, sparsity) = Read(context, candidate);
                report.Sparsity = sparsity;
                MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(output.Add(bytes));
            }), workingSetBytes: 3 * bytes));
        }
        return pruned;
    }

    /// <summary>The pruned weights in the tensor's stored layout.</summary>
    public static (float[] Values, double? Sparsity) Read(QuantizationContext context, WeightCandidate candidate)
    {
        using var weights = WeightMatrix.Read(context, candidate.Weight, candidate.K, candidate.N, candidate.Transposed);
        var values = weights.Array;
        return (candidate.Transposed ? WeightMatrix.Transpose(values, (int)candidate.K, (int)candidate.N) : values, weights.Sparsity);
    }
}
