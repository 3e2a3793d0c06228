using Microsoft.ML.OnnxRuntime;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Tests.Kernels;

/// <summary>Per-column int8 weights run through ONNX Runtime's integer and QDQ operators must equal A · Dequantize(B).</summary>
public sealed class ChannelQuantizerOrtTests
{
    private const int M = 4;

    [Theory]
    [InlineData(Int8Scheme.Unsigned, 64, 9)]
    [InlineData(Int8Scheme.Unsigned, 37, 1)]
    [InlineData(Int8Scheme.UnsignedAsymmetric, 64, 9)]
    [InlineData(Int8Scheme.UnsignedAsymmetric, 37, 1)]
    [InlineData(Int8Scheme.SignedReducedRange, 64, 9)]
    [InlineData(Int8Scheme.SignedReducedRange, 50, 33)]
    public void Matmulinteger_with_per_column_zero_points_matches_the_reference(Int8Scheme scheme, int k, int n)
    {
        float[] b = KernelTestData.Gaussian(k * n, k * n);
        var q = ChannelQuantizerTests.Quantize(b, k, n, 1, scheme);
        float[] dequantized = ChannelQuantizerTests.Dequantize(q, k, n, 1, scheme);
        float[] a = ExactlyQuantizableActivations(M * k, k);
        var type = ElementType(scheme);

        var model = KernelModels.Model(
            M,
            k,
            n,
            [
                KernelModels.Bytes("B", q.Levels, type, k, n),
                KernelModels.Bytes("B_zero_point", q.ZeroPoints, type, n),
                KernelModels.Floats("B_scale", q.Scales, n),
            ],
            KernelModels.Node("DynamicQuantizeLinear", ["A"], ["A_q", "A_scale", "A_zero_point"]),
            KernelModels.Node("MatMulInteger", ["A_q", "B", "A_zero_point", "B_zero_point"], ["Y_int"]),
            KernelModels.Node("Cast", ["Y_int"], ["Y_float"], "", KernelModels.Int("to", (long)DataType.Float)),
            KernelModels.Node("Mul", ["A_scale", "B_scale"], ["scale"]),
            KernelModels.Node("Mul", ["Y_float", "scale"], ["Y"]));

        float[] y = KernelModels.Run(model, a, M, k);

        KernelModels.AssertMatMul(a, dequantized, M, k, n, y);
    }

    /// <summary>
    /// Without graph optimizations this checks DequantizeLinear's per-axis reading of the levels exactly. With them,
    /// ONNX Runtime 1.31 fuses the pair into an 8-bit MatMulNBits that quantizes the activations to int8 as well, so
    /// it only agrees to within activation quantization error (about 1e-3 relative).
    /// </summary>
    [Theory]
    [InlineData(Int8Scheme.Signed, 48, 7)]
    [InlineData(Int8Scheme.Signed, 31, 40)]
    [InlineData(Int8Scheme.Unsigned, 48, 7)]
    [InlineData(Int8Scheme.UnsignedAsymmetric, 31, 40)]
    public void Dequantizelinear_per_axis_matches_the_reference(Int8Scheme scheme, int k, int n)
    {
        float[] b = KernelTestData.Gaussian(k * n, 3 * k + n);
        var q = ChannelQuantizerTests.Quantize(b, k, n, 1, scheme);
        float[] dequantized = ChannelQuantizerTests.Dequantize(q, k, n, 1, scheme);
        float[] a = KernelTestData.Uniform(M * k, k - n);
        var type = ElementType(scheme);

        var model = KernelModels.Model(
            M,
            k,
            n,
            [
                KernelModels.Bytes("B", q.Levels, type, k, n),
                KernelModels.Floats("B_scale", q.Scales, n),
                KernelModels.Bytes("B_zero_point", q.ZeroPoints, type, n),
            ],
            KernelModels.Node("DequantizeLinear", ["B", "B_scale", "B_zero_point"], ["B_float"], "", KernelModels.Int("axis", 1)),
            KernelModels.Node("MatMul", ["A", "B_float"], ["Y"]));

        KernelModels.AssertMatMul(a, dequantized, M, k, n, KernelModels.Run(model, a, M, k, GraphOptimizationLevel.ORT_DISABLE_ALL));
        KernelModels.AssertMatMul(a, dequantized, M, k, n, KernelModels.Run(model, a, M, k), relative: 1e-2);
    }

    /// <summary>int8 for the signed schemes, uint8 for the unsigned ones (symmetric around 128 or asymmetric).</summary>
    private static DataType ElementType(Int8Scheme scheme) =>
        scheme is Int8Scheme.Signed or Int8Scheme.SignedReducedRange ? DataType.Int8 : DataType.Uint8;

    /// <summary>
    /// Activations that DynamicQuantizeLinear represents exactly (multiples of 1/16 spanning -8 to 127/16, so its
    /// scale is 1/16 and its zero point 128): the comparison then isolates the weights.
    /// </summary>
    private static float[] ExactlyQuantizableActivations(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = random.Next(-128, 128) / 16f;
        values[0] = -8f;
        values[1] = 127 / 16f;
        return values;
    }
}
