using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// Per-channel 8-bit quantization of a weight matrix [rows, cols] (row-major), one scale and zero point per row
/// (axis 0) or per column (axis 1), for <c>MatMulInteger</c>, <c>DynamicQuantizeMatMul</c> and QDQ
/// <c>DequantizeLinear</c>. The levels keep the matrix layout; for the signed schemes each byte is the bit pattern
/// of an sbyte, as are the (zero) zero points; <see cref="Int8Scheme.Unsigned"/> stores the same symmetric levels
/// plus 128, with zero point 128.
/// </summary>
/// <remarks>
/// <c>q = clamp(round(w / scale) + zeroPoint, min, max)</c>, rounding halves to even, dividing by multiplying with
/// the same reciprocal on every path, so the vector widths and the scalar code give bit-identical results. An all-zero
/// channel gets scale 0 and every level at the zero point.
/// </remarks>
public static class ChannelQuantizer
{
    /// <summary>Quantizes <paramref name="weights"/> per channel into the caller's buffers.</summary>
    /// <param name="weights">The matrix [rows, cols], row-major.</param>
    /// <param name="rows">The rows of the matrix.</param>
    /// <param name="cols">The columns of the matrix.</param>
    /// <param name="axis">0: one channel per row; 1: one channel per column.</param>
    /// <param name="scheme">The integer type and range.</param>
    /// <param name="quantized">rows * cols bytes, same layout as <paramref name="weights"/>.</param>
    /// <param name="scales">One float per channel.</param>
    /// <param name="zeroPoints">One byte per channel (0 for the signed schemes, 128 for <see cref="Int8Scheme.Unsigned"/>).</param>
    /// <exception cref="NonFiniteWeightException">A weight is NaN or infinite; the outputs are then unspecified.</exception>
    public static void Quantize(
        ReadOnlySpan<float> weights, int rows, int cols, int axis, Int8Scheme scheme, Span<byte> quantized, Span<float> scales, Span<byte> zeroPoints) =>
        Quantize(weights, rows, cols, axis, scheme, quantized, scales, zeroPoints, KernelPath.Auto);

    /// <summary><see cref="Quantize(ReadOnlySpan{float}, int, int, int, Int8Scheme, Span{byte}, Span{float}, Span{byte})"/> on a chosen <paramref name="path"/>.</summary>
    internal static unsafe void Quantize(
        ReadOnlySpan<float> weights,
        int rows,
        int cols,
        int axis,
        Int8Scheme scheme,
        Span<byte> quantized,
        Span<float> scales,
        Span<byte> zeroPoints,
        KernelPath path)
    {
        int channels = Validate(weights.Length, rows, cols, axis, scheme, nameof(weights));
        RequireLength(quantized.Length, (long)rows * cols, nameof(quantized));
        RequireLength(scales.Length, channels, nameof(scales));
        RequireLength(zeroPoints.Length, channels, nameof(zeroPoints));

        bool nonFinite;
        fixed (float* source = weights)
        fixed (byte* levels = quantized)
        fixed (float* scaleValues = scales)
        fixed (byte* zeroPointBytes = zeroPoints)
        {
            var job = new Job(source, rows, cols, scheme, levels, scaleValues, zeroPointBytes);
            nonFinite = KernelPaths.Resolve(path) switch
            {
                KernelPath.Vector512 => axis == 0 ? job.PerRow<Lanes512, Vector512<float>>() : job.PerColumn<Lanes512, Vector512<float>>(),
                KernelPath.Vector256 => axis == 0 ? job.PerRow<Lanes256, Vector256<float>>() : job.PerColumn<Lanes256, Vector256<float>>(),
                KernelPath.Vector128 => axis == 0 ? job.PerRow<Lanes128, Vector128<float>>() : job.PerColumn<Lanes128, Vector128<float>>(),
                _ => axis == 0 ? job.PerRow<ScalarLanes, float>() : job.PerColumn<ScalarLanes, float>(),
            };
        }

        if (nonFinite)
            throw NonFiniteWeightException.ForFirstIn(weights);
    }

    /// <summary>Reconstructs the matrix, <c>w = (q - zeroPoint) * scale</c>: the reference inverse of <see cref="Quantize(ReadOnlySpan{float}, int, int, int, Int8Scheme, Span{byte}, Span{float}, Span{byte})"/>.</summary>
    /// <param name="quantized">rows * cols levels (sbyte bit patterns for the signed schemes).</param>
    /// <param name="scales">One float per channel.</param>
    /// <param name="zeroPoints">One byte per channel.</param>
    /// <param name="rows">The rows of the matrix.</param>
    /// <param name="cols">The columns of the matrix.</param>
    /// <param name="axis">0: one channel per row; 1: one channel per column.</param>
    /// <param name="scheme">The scheme the levels were quantized with.</param>
    /// <param name="weights">Receives the matrix [rows, cols], row-major.</param>
    public static void Dequantize(
        ReadOnlySpan<byte> quantized, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zeroPoints, int rows, int cols, int axis, Int8Scheme scheme, Span<float> weights)
    {
        int channels = Validate(quantized.Length, rows, cols, axis, scheme, nameof(quantized));
        RequireLength(scales.Length, channels, nameof(scales));
        RequireLength(zeroPoints.Length, channels, nameof(zeroPoints));
        RequireLength(weights.Length, (long)rows * cols, nameof(weights));

        bool signed = IsSigned(scheme);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int channel = axis == 0 ? r : c;
                int i = r * cols + c;
                int q = signed ? (sbyte)quantized[i] : quantized[i];
                int zeroPoint = signed ? (sbyte)zeroPoints[channel] : zeroPoints[channel];
                weights[i] = (q - zeroPoint) * scales[channel];
            }
        }
    }

    private static bool IsSigned(Int8Scheme scheme) => scheme is Int8Scheme.Signed or Int8Scheme.SignedReducedRange;

    /// <summary>
    /// The range of a scheme's levels, the number of steps its scale divides the range into (the largest magnitude
    /// for the symmetric schemes, max - min for the asymmetric one) and, for the symmetric schemes, the zero point.
    /// </summary>
    private static (float Min, float Max, float Steps, float ZeroPoint) Levels(Int8Scheme scheme) => scheme switch
    {
        Int8Scheme.Signed => (-127f, 127f, 127f, 0f),
        Int8Scheme.SignedReducedRange => (-63f, 63f, 63f, 0f),
        Int8Scheme.Unsigned => (1f, 255f, 127f, 128f),
        _ => (0f, 255f, 255f, 0f),
    };

    /// <summary>Whether the scheme's scale comes from the largest magnitude (its zero point is fixed).</summary>
    private static bool IsSymmetric(Int8Scheme scheme) => scheme is not Int8Scheme.UnsignedAsymmetric;

    private static int Validate(int length, int rows, int cols, int axis, Int8Scheme scheme, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        if (axis is not (0 or 1))
            throw new ArgumentOutOfRangeException(nameof(axis), axis, "The channel axis of a matrix is 0 (rows) or 1 (columns).");
        if (!Enum.IsDefined(scheme))
            throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown int8 scheme.");
        RequireLength(length, (long)rows * cols, name);
        return axis == 0 ? rows : cols;
    }

    private static void RequireLength(int actual, long expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} elements; this shape needs {expected}.", name);
    }

    /// <summary>One quantization: ranges, then per-channel parameters, then the levels, row by row.</summary>
    private readonly unsafe struct Job(float* weights, int rows, int cols, Int8Scheme scheme, byte* quantized, float* scales, byte* zeroPoints)
    {
        /// <summary>Axis 0: each row's range comes from <see cref="TensorPrimitives"/>. Returns whether a weight is not finite.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool PerRow<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            (float min, float max, _, _) = Levels(scheme);
            for (int r = 0; r < rows; r++)
            {
                float* row = weights + (nint)r * cols;
                var values = new ReadOnlySpan<float>(row, cols);
                if (!TensorPrimitives.IsFiniteAll(values))
                    return true;

                float low = MathF.Min(0f, TensorPrimitives.Min(values));
                float high = MathF.Max(0f, TensorPrimitives.Max(values));
                SetParameters(r, low, high, out float prescale, out float reciprocal, out float zeroPoint);
                RowKernels.QuantizeUniform<TLanes, TVector>(row, cols, prescale, reciprocal, zeroPoint, min, max, quantized + (nint)r * cols);
            }

            return false;
        }

        /// <summary>Axis 1: the column ranges are folded four rows at a time, vectorized across columns. Returns whether a weight is not finite.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool PerColumn<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            (float min, float max, _, _) = Levels(scheme);
            var columns = new float[5 * cols];
            fixed (float* low = columns)
            {
                float* high = low + cols;
                float* prescale = low + 2 * cols;
                float* reciprocal = low + 3 * cols;
                float* zeroPoint = low + 4 * cols;
                for (int r = 0; r < rows; r += 4)
                {
                    if (RowKernels.AccumulateMinMax<TLanes, TVector>(Row(r), Row(r + 1), Row(r + 2), Row(r + 3), cols, low, high))
                        return true;
                }

                bool prescaled = false;
                for (int c = 0; c < cols; c++)
                {
                    SetParameters(c, low[c], high[c], out prescale[c], out reciprocal[c], out zeroPoint[c]);
                    prescaled |= prescale[c] != 1f;
                }

                for (int r = 0; r < rows; r++)
                {
                    RowKernels.Quantize<TLanes, TVector>(
                        weights + (nint)r * cols, cols, prescaled ? prescale : null, reciprocal, zeroPoint, min, max, quantized + (nint)r * cols);
                }
            }

            return false;
        }

        /// <summary>Row <paramref name="r"/>, or the last row when <paramref name="r"/> is past it (folding a row twice changes nothing).</summary>
        private float* Row(int r) => weights + (nint)Math.Min(r, rows - 1) * cols;

        /// <summary>
        /// Writes channel <paramref name="channel"/>'s scale and zero point from its range [<paramref name="low"/>,
        /// <paramref name="high"/>] = [min(0, min), max(0, max)] (either zero may be -0).
        /// </summary>
        private void SetParameters(int channel, float low, float high, out float prescale, out float reciprocal, out float zeroPoint)
        {
            (_, _, float steps, float symmetricZeroPoint) = Levels(scheme);
            low += 0f;
            high += 0f;
            float scale;
            if (IsSymmetric(scheme))
            {
                scale = MathF.Max(-low, high) / steps;
                zeroPoint = symmetricZeroPoint;
            }
            else
            {
                scale = QuantParams.AsymmetricScale(low, high, steps);
                zeroPoint = scale == 0f ? 0f : Math.Clamp(MathF.Round(-low / scale, MidpointRounding.ToEven), 0f, steps);
            }

            scales[channel] = scale;
            zeroPoints[channel] = (byte)zeroPoint;
            QuantParams.Reciprocal(scale, out prescale, out reciprocal);
        }
    }
}
