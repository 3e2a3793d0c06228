using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// Block-wise 4- and 8-bit quantization of a MatMul weight <c>B</c> [K, N] (row-major, K the reduction dimension)
/// into the inputs of ONNX Runtime's <c>com.microsoft.MatMulNBits</c>. Each column is cut along K into blocks of
/// <see cref="BlockwiseFormat.BlockSize"/> weights, each block with its own scale (and, asymmetric, zero point).
/// </summary>
/// <remarks>
/// <para>Layouts, with <c>kBlocks = </c><see cref="BlockwiseFormat.BlockCount"/> and <c>blob = blockSize * bits / 8</c>:</para>
/// <list type="bullet">
/// <item><c>packed</c>: uint8 [N, kBlocks, blob]. With 4 bits, element 2j of a block is the low nibble of byte j and
/// element 2j+1 its high nibble. When K is not a multiple of the block size, the last block's padding holds the
/// zero point (it dequantizes to 0).</item>
/// <item><c>scales</c>: float [N * kBlocks], block b of column n at <c>n * kBlocks + b</c>.</item>
/// <item><c>zeroPoints</c> (asymmetric only): with 8 bits uint8 [N * kBlocks]; with 4 bits, per column a row of
/// ceil(kBlocks / 2) bytes, block 2j in the low nibble and 2j+1 in the high nibble (an unused last nibble is 0).
/// Symmetric blocks use the operator's default zero point, 2^(bits-1).</item>
/// </list>
/// <para>
/// Symmetric quantization follows ONNX Runtime's <c>MatMul4BitsQuantizer</c>: the weight <c>m</c> of largest magnitude
/// (the first one on ties) gives <c>scale = m / -2^(bits-1)</c>, which may be negative, and
/// <c>q = clamp(round(w / scale) + 2^(bits-1), 0, 2^bits - 1)</c>. Asymmetric quantization spans
/// [min(0, min w), max(0, max w)] with <c>2^bits - 1</c> steps and a zero point rounded as ONNX Runtime does.
/// </para>
/// <para>
/// That is round-to-nearest. By default each block's scale is then refined by a small search (<see cref="BlockwiseOptions.ScaleSearch"/>):
/// a few steps around the round-to-nearest one (from 0.8 to 1.05 times it with 4 bits, 0.96 to 1.02 with 8), each
/// with its least-squares scale for the levels it gives, keeping the one with the smallest squared reconstruction
/// error. The zero points stay as above; the scale may shrink enough that a block's extremes are clipped (off by more
/// than half a step) when that lowers the block's total error, which is never above round-to-nearest's.
/// </para>
/// <para>
/// Every path divides by multiplying with the same reciprocal, rounds halves to even and sums in the same order, so
/// the vector widths, the scalar code and any degree of parallelism give bit-identical outputs.
/// </para>
/// </remarks>
public static class BlockwiseQuantizer
{
    /// <summary>Quantizes <paramref name="weights"/> into the caller's buffers (see the class remarks for the layouts).</summary>
    /// <param name="weights">B [K, N], row-major.</param>
    /// <param name="k">The rows of B (the reduction dimension, along which blocks run).</param>
    /// <param name="n">The columns of B.</param>
    /// <param name="format">The bits, the block size and whether blocks have zero points.</param>
    /// <param name="packed"><see cref="BlockwiseFormat.PackedByteCount"/> bytes.</param>
    /// <param name="scales">N * <see cref="BlockwiseFormat.BlockCount"/> floats.</param>
    /// <param name="zeroPoints"><see cref="BlockwiseFormat.ZeroPointByteCount"/> bytes (empty when symmetric).</param>
    /// <param name="options">How to compute it (scale search, threads); null for <see cref="BlockwiseOptions.Default"/>.</param>
    /// <exception cref="NonFiniteWeightException">A weight is NaN or infinite; the outputs are then unspecified.</exception>
    public static void Quantize(
        ReadOnlySpan<float> weights,
        int k,
        int n,
        BlockwiseFormat format,
        Span<byte> packed,
        Span<float> scales,
        Span<byte> zeroPoints,
        BlockwiseOptions? options = null) =>
        Quantize(weights, k, n, format, packed, scales, zeroPoints, options, KernelPath.Auto);

    /// <summary><see cref="Quantize(ReadOnlySpan{float}, int, int, BlockwiseFormat, Span{byte}, Span{float}, Span{byte}, BlockwiseOptions?)"/> on a chosen <paramref name="path"/>.</summary>
    internal static unsafe void Quantize(
        ReadOnlySpan<float> weights,
        int k,
        int n,
        BlockwiseFormat format,
        Span<byte> packed,
        Span<float> scales,
        Span<byte> zeroPoints,
        BlockwiseOptions? options,
        KernelPath path)
    {
        format.Validate(k, n);
        options ??= BlockwiseOptions.Default;
        int kBlocks = format.BlockCount(k);
        RequireLength(weights.Length, (long)k * n, nameof(weights));
        RequireLength(packed.Length, format.PackedByteCount(k, n), nameof(packed));
        RequireLength(scales.Length, (long)n * kBlocks, nameof(scales));
        RequireLength(zeroPoints.Length, format.ZeroPointByteCount(k, n), nameof(zeroPoints));
        int maxDegreeOfParallelism = options.MaxDegreeOfParallelism;
        if (maxDegreeOfParallelism is 0 or < -1)
            throw new ArgumentOutOfRangeException(nameof(options), maxDegreeOfParallelism, "MaxDegreeOfParallelism: use -1 for the default or a positive thread count.");

        bool nonFinite;
        fixed (float* source = weights)
        fixed (byte* packedBytes = packed)
        fixed (float* scaleValues = scales)
        fixed (byte* zeroPointBytes = zeroPoints)
        {
            KernelPath resolved = KernelPaths.Resolve(path);
            bool transposeVectors = resolved != KernelPath.Scalar && ByteTranspose.IsAccelerated;
            var job = new BlockwiseJob(source, k, n, format, packedBytes, scaleValues, zeroPointBytes, transposeVectors, options.ScaleSearch);
            nonFinite = resolved switch
            {
                KernelPath.Vector512 => job.Run<Lanes512, Vector512<float>>(maxDegreeOfParallelism),
                KernelPath.Vector256 => job.Run<Lanes256, Vector256<float>>(maxDegreeOfParallelism),
                KernelPath.Vector128 => job.Run<Lanes128, Vector128<float>>(maxDegreeOfParallelism),
                _ => job.Run<ScalarLanes, float>(maxDegreeOfParallelism),
            };
        }

        if (nonFinite)
            throw NonFiniteWeightException.ForFirstIn(weights);
    }

    /// <summary>
    /// Reconstructs B [K, N] from the quantized form, <c>w = (q - zeroPoint) * scale</c>: the reference inverse of
    /// <see cref="Quantize(ReadOnlySpan{float}, int, int, BlockwiseFormat, Span{byte}, Span{float}, Span{byte}, BlockwiseOptions?)"/>.
    /// </summary>
    /// <param name="packed">uint8 [N, kBlocks, blob].</param>
    /// <param name="scales">float [N * kBlocks].</param>
    /// <param name="zeroPoints"><see cref="BlockwiseFormat.ZeroPointByteCount"/> bytes: empty for symmetric blocks (zero point 2^(bits-1)).</param>
    /// <param name="k">The rows of B.</param>
    /// <param name="n">The columns of B.</param>
    /// <param name="format">The format the weights were quantized in.</param>
    /// <param name="weights">Receives B [K, N], row-major.</param>
    public static void Dequantize(
        ReadOnlySpan<byte> packed, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zeroPoints, int k, int n, BlockwiseFormat format, Span<float> weights)
    {
        format.Validate(k, n);
        int kBlocks = format.BlockCount(k);
        RequireLength(packed.Length, format.PackedByteCount(k, n), nameof(packed));
        RequireLength(scales.Length, (long)n * kBlocks, nameof(scales));
        RequireLength(zeroPoints.Length, format.ZeroPointByteCount(k, n), nameof(zeroPoints));
        RequireLength(weights.Length, (long)k * n, nameof(weights));

        int bits = format.Bits, blockSize = format.BlockSize;
        int blob = blockSize * bits / 8;
        int zeroPointRow = format.ZeroPointRowBytes(kBlocks);
        for (int column = 0; column < n; column++)
        {
            for (int block = 0; block < kBlocks; block++)
            {
                float scale = scales[column * kBlocks + block];
                int zeroPoint = format.Symmetric ? 1 << (bits - 1)
                    : bits == 8 ? zeroPoints[column * kBlocks + block]
                    : Nibble(zeroPoints[column * zeroPointRow + block / 2], block);
                ReadOnlySpan<byte> codes = packed.Slice((column * kBlocks + block) * blob, blob);
                int first = block * blockSize;
                int rows = Math.Min(blockSize, k - first);
                for (int j = 0; j < rows; j++)
                {
                    int q = bits == 8 ? codes[j] : Nibble(codes[j / 2], j);
                    weights[(first + j) * n + column] = (q - zeroPoint) * scale;
                }
            }
        }
    }

    private static int Nibble(byte value, int index) => (index & 1) == 0 ? value & 0xF : value >> 4;

    private static void RequireLength(int actual, long expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} elements; this shape needs {expected}.", name);
    }
}
