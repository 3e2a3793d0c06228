using System.Runtime.InteropServices;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization;

/// <summary>
/// Weight-only block-wise quantization: each constant-weight MatMul (and Gemm that can be rewritten) becomes a
/// <c>com.microsoft.MatMulNBits</c> with 4- or 8-bit weights, a scale per block along K, and zero points when
/// asymmetric. Activations stay float. A weight shared by several nodes is quantized once.
/// </summary>
internal static class BlockwisePass
{
    public static void Apply(QuantizationContext context, int bits)
    {
        var options = context.Options;
        int blockSize = options.BlockSize;
        var done = new Dictionary<(string Weight, bool Transposed), (string Packed, string Scales, string? ZeroPoints)>();

        var candidates = WeightCandidates.Find(context);
        foreach (var candidate in candidates)
        {
            var key = (candidate.Weight.Name, candidate.Transposed);
            if (!done.TryGetValue(key, out var names))
            {
                names = AddQuantizedWeight(context, candidate, bits, blockSize);
                done.Add(key, names);
            }

            var node = candidate.Node;
            var replacement = new NodeProto
            {
                Name = node.Name,
                OpType = "MatMulNBits",
                Domain = "com.microsoft",
            };
            replacement.Input.Add([node.Input[0], names.Packed, names.Scales, names.ZeroPoints ?? ""]);
            if (candidate.Bias is not null) replacement.Input.Add(["", candidate.Bias.Name]);
            replacement.Output.Add(node.Output);
            replacement.Attribute.Add(WeightCandidates.Int("K", candidate.K));
            replacement.Attribute.Add(WeightCandidates.Int("N", candidate.N));
            replacement.Attribute.Add(WeightCandidates.Int("bits", bits));
            replacement.Attribute.Add(WeightCandidates.Int("block_size", blockSize));
            if (options.AccuracyLevel is int level) replacement.Attribute.Add(WeightCandidates.Int("accuracy_level", level));
            while (replacement.Input[^1].Length == 0) replacement.Input.RemoveAt(replacement.Input.Count - 1);
            WeightCandidates.Replace(context.Graph, node, replacement);
        }
        context.RemoveUnused(candidates.Select(c => c.Weight));
        context.EnsureOpset("com.microsoft", 1);
    }

    private static (string Packed, string Scales, string? ZeroPoints) AddQuantizedWeight(QuantizationContext context, WeightCandidate candidate, int bits, int blockSize)
    {
        var options = context.Options;
        var weight = candidate.Weight;
        int k = checked((int)candidate.K), n = checked((int)candidate.N);
        int blocks = BlockwiseQuantizer.BlockCount(k, blockSize);
        long packedBytes = BlockwiseQuantizer.PackedByteCount(k, n, bits, blockSize);
        long zeroPointBytes = options.Symmetric ? 0 : BlockwiseQuantizer.ZeroPointByteCount(k, n, bits, blockSize);

        var packed = context.NewHeader($"{weight.Name}_Q{bits}", DataType.Uint8, n, blocks, blockSize * bits / 8);
        var scales = context.NewHeader($"{weight.Name}_scales", DataType.Float, (long)n * blocks);
        var zeroPoints = options.Symmetric ? null : context.NewHeader($"{weight.Name}_zero_points", DataType.Uint8, zeroPointBytes);
        var headers = zeroPoints is null ? new[] { packed, scales } : [packed, scales, zeroPoints];
        var lengths = zeroPoints is null ? new[] { packedBytes, n * blocks * 4L } : [packedBytes, n * blocks * 4L, zeroPointBytes];

        string format = $"MatMulNBits int{bits} block {blockSize} {(options.Symmetric ? "symmetric" : "asymmetric")}";
        var report = context.Report(candidate, format, lengths.Sum());
        context.Add(new PayloadGroup(headers, lengths, () =>
        {
            using var values = WeightMatrix.Read(context, weight, k, n, candidate.Transposed);
            var output = new PooledPayloads();
            var q = output.Add(packedBytes);
            var s = MemoryMarshal.Cast<byte, float>(output.Add(n * blocks * 4L));
            var z = zeroPoints is null ? [] : output.Add(zeroPointBytes);
            try
            {
                BlockwiseQuantizer.Quantize(values.Values, k, n, bits, blockSize, options.Symmetric, q, s, z, scaleSearch: options.ScaleSearch);
            }
            catch (NonFiniteWeightException ex)
            {
                output.Dispose();
                throw context.NonFinite(weight, ex);
            }
            report.Sparsity = values.Sparsity;
            return output;
        }, workingSetBytes: (long)k * n * 4 + lengths.Sum()));
        return (packed.Name, scales.Name, zeroPoints?.Name);
    }
}

/// <summary>The report line of one rewritten weight; the sparsity is filled in when its payload is produced.</summary>
internal sealed class TensorReport(WeightCandidate candidate, string format, long bytesAfter)
{
    private readonly long _bytesBefore = TensorData.Of(candidate.Weight).ExpectedByteLength ?? 0;

    public string Format { get; set; } = format;

    public long BytesAfter { get; set; } = bytesAfter;

    public double? Sparsity { get; set; }

    public QuantizedTensor ToRecord() => new(
        candidate.Weight.Name, WeightCandidates.NodeName(candidate.Node), Format, candidate.Weight.Dims.ToArray(), _bytesBefore, BytesAfter, Sparsity);
}
