using System.Runtime.InteropServices;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization;

/// <summary>
/// A weight as per-column 8-bit levels [K, N] with a scale and a zero point per column: what MatMulInteger
/// (int8 dynamic) and a per-channel DequantizeLinear with axis 1 (both int8 QDQ forms) read.
/// </summary>
internal static class ChannelWeights
{
    /// <summary>Registers the three initializers and the group that produces them; <paramref name="format"/> is the report's description.</summary>
    public static (TensorProto Values, TensorProto Scales, TensorProto ZeroPoints) Add(
        QuantizationContext context, WeightCandidate candidate, Int8Scheme scheme, string format)
    {
        var weight = candidate.Weight;
        int k = checked((int)candidate.K), n = checked((int)candidate.N);
        var type = scheme is Int8Scheme.Signed or Int8Scheme.SignedReducedRange ? DataType.Int8 : DataType.Uint8;
        var values = context.NewHeader(weight.Name + "_quantized", type, k, n);
        var scales = context.NewHeader(weight.Name + "_scale", DataType.Float, n);
        var zeroPoints = context.NewHeader(weight.Name + "_zero_point", type, n);
        long[] lengths = [(long)k * n, n * 4L, n];
        var report = context.Report(candidate, format, lengths.Sum());
        context.Add(new PayloadGroup([values, scales, zeroPoints], lengths, () => context.Produce(weight, output =>
        {
            using var matrix = WeightMatrix.Read(context, weight, k, n, candidate.Transposed);
            var q = output.Add((long)k * n);
            var s = MemoryMarshal.Cast<byte, float>(output.Add(n * 4L));
            var z = output.Add(n);
            ChannelQuantizer.Quantize(matrix.Values, k, n, 1, scheme, q, s, z);
            report.Sparsity = matrix.Sparsity;
        }), workingSetBytes: (long)k * n * 4 + lengths.Sum()));
        return (values, scales, zeroPoints);
    }
}
