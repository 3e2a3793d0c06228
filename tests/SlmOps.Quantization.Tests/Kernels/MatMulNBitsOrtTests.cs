using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Tests.Kernels;

/// <summary>The packed layout is checked by ONNX Runtime itself: MatMulNBits on our buffers must equal A · Dequantize(B).</summary>
public sealed class MatMulNBitsOrtTests
{
    private const int M = 3;

    [Theory]
    [InlineData(4, 16, true, 64, 7, true)]
    [InlineData(4, 16, false, 70, 7, true)]
    [InlineData(4, 32, true, 100, 33, true)]
    [InlineData(4, 32, true, 100, 33, false)]
    [InlineData(4, 32, false, 96, 33, true)]
    [InlineData(4, 32, false, 96, 33, false)]
    [InlineData(4, 32, false, 160, 1, true)]
    [InlineData(4, 128, true, 256, 9, true)]
    [InlineData(4, 128, false, 200, 9, true)]
    [InlineData(8, 32, true, 96, 7, true)]
    [InlineData(8, 32, false, 100, 7, true)]
    [InlineData(8, 128, false, 300, 5, false)]
    public void Onnx_runtime_reads_the_layout_we_write(int bits, int blockSize, bool symmetric, int k, int n, bool scaleSearch)
    {
        float[] b = KernelTestData.Gaussian(k * n, k + n + bits);
        float[] a = KernelTestData.Uniform(M * k, k * n);
        var q = BlockwiseQuantizerTests.Quantize(b, k, n, bits, blockSize, symmetric, scaleSearch: scaleSearch);
        float[] dequantized = BlockwiseQuantizerTests.Dequantize(q, k, n);

        float[] y = KernelModels.Run(MatMulNBits(q, k, n, bits, blockSize), a, M, k);

        KernelModels.AssertMatMul(a, dequantized, M, k, n, y);
    }

    private static ModelProto MatMulNBits(BlockwiseQuantizerTests.Quantized q, int k, int n, int bits, int blockSize)
    {
        int kBlocks = q.Format.BlockCount(k);
        var initializers = new List<TensorProto>
        {
            KernelModels.Bytes("B", q.Packed, DataType.Uint8, n, kBlocks, blockSize * bits / 8),
            KernelModels.Floats("scales", q.Scales, (long)n * kBlocks),
        };
        string[] inputs = ["A", "B", "scales"];
        if (q.ZeroPoints.Length > 0)
        {
            initializers.Add(KernelModels.Bytes("zero_points", q.ZeroPoints, DataType.Uint8, q.ZeroPoints.Length));
            inputs = [.. inputs, "zero_points"];
        }

        var node = KernelModels.Node(
            "MatMulNBits",
            inputs,
            ["Y"],
            "com.microsoft",
            KernelModels.Int("K", k),
            KernelModels.Int("N", n),
            KernelModels.Int("bits", bits),
            KernelModels.Int("block_size", blockSize));
        return KernelModels.Model(M, k, n, initializers, node);
    }
}
