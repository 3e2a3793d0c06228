using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

/// <summary>Magnitude and 2:4 structured pruning of float weights, in place and deterministic.</summary>
public static class Pruner
{
    private const uint MagnitudeMask = 0x7FFF_FFFF;

    /// <summary>
    /// Zeroes exactly floor(<paramref name="sparsity"/> * length) weights, those of smallest magnitude; among equal
    /// magnitudes the lower indices go first. Weights that are already zero count among the smallest.
    /// </summary>
    /// <param name="weights">The weights, pruned in place.</param>
    /// <param name="sparsity">The fraction to zero, in [0, 1].</param>
    /// <returns>How many weights are zero afterwards.</returns>
    /// <exception cref="NonFiniteWeightException">A weight is NaN or infinite; nothing is changed.</exception>
    public static long Magnitude(Span<float> weights, double sparsity)
    {
        if (!(sparsity is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "The sparsity is a fraction in [0, 1].");
        NonFiniteWeightException.ThrowIfAny(weights);

        int count = (int)Math.Floor(sparsity * weights.Length);
        if (count > 0)
            ZeroSmallest(MemoryMarshal.Cast<float, uint>(weights), count);
        return CountZeros(weights);
    }

    /// <summary>
    /// 2:4 structured sparsity of a MatMul weight B [K, N] along its reduction dimension: in every column, of each
    /// group of four consecutive rows (4g to 4g+3) the two weights of largest magnitude are kept (on ties the lower
    /// row) and the other two zeroed.
    /// </summary>
    /// <param name="weights">B [rows, cols], row-major, pruned in place.</param>
    /// <param name="rows">K, a multiple of 4.</param>
    /// <param name="cols">N.</param>
    /// <returns>How many weights are zero afterwards.</returns>
    /// <exception cref="NonFiniteWeightException">A weight is NaN or infinite; nothing is changed.</exception>
    public static long TwoFour(Span<float> weights, int rows, int cols) => TwoFour(weights, rows, cols, KernelPath.Auto);

    /// <summary><see cref="TwoFour(Span{float}, int, int)"/> on a chosen <paramref name="path"/>.</summary>
    internal static unsafe long TwoFour(Span<float> weights, int rows, int cols, KernelPath path)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        if (rows % 4 != 0)
            throw new ArgumentException($"2:4 sparsity groups rows by four; {rows} rows is not a multiple of 4.", nameof(rows));
        if (weights.Length != (long)rows * cols)
            throw new ArgumentException($"weights has {weights.Length} elements; a [{rows}, {cols}] matrix needs {(long)rows * cols}.", nameof(weights));
        NonFiniteWeightException.ThrowIfAny(weights);

        KernelPath resolved = KernelPaths.Resolve(path);
        fixed (float* matrix = weights)
        {
            for (int group = 0; group < rows / 4; group++)
            {
                float* top = matrix + (nint)group * 4 * cols;
                switch (resolved)
                {
                    case KernelPath.Vector512:
                        KeepTwoOfFour<Lanes512, Vector512<float>>(top, cols, cols);
                        break;
                    case KernelPath.Vector256:
                        KeepTwoOfFour<Lanes256, Vector256<float>>(top, cols, cols);
                        break;
                    case KernelPath.Vector128:
                        KeepTwoOfFour<Lanes128, Vector128<float>>(top, cols, cols);
                        break;
                    default:
                        KeepTwoOfFour<ScalarLanes, float>(top, cols, cols);
                        break;
                }
            }
        }

        return CountZeros(weights);
    }

    /// <summary>The fraction of <paramref name="weights"/> that are exactly zero (either sign); 0 for an empty span.</summary>
    /// <param name="weights">The weights.</param>
    public static double Sparsity(ReadOnlySpan<float> weights) =>
        weights.IsEmpty ? 0 : (double)CountZeros(weights) / weights.Length;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long CountZeros(ReadOnlySpan<float> weights)
    {
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(weights);
        return (long)bits.Count(0u) + bits.Count(0x8000_0000u);
    }

    /// <summary>
    /// Zeroes the <paramref name="count"/> smallest magnitudes (lowest index first among equals) by a two-pass radix
    /// select on the magnitude bits, whose order is the order of finite magnitudes: the high 16 bits locate the
    /// threshold's bucket, the low 16 bits the threshold itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ZeroSmallest(Span<uint> weights, int count)
    {
        var highCounts = new int[1 << 15];
        foreach (uint bits in weights)
            highCounts[(bits & MagnitudeMask) >> 16]++;

        int below = 0;
        int high = 0;
        while (below + highCounts[high] < count)
            below += highCounts[high++];

        var lowCounts = new int[1 << 16];
        foreach (uint bits in weights)
        {
            uint magnitude = bits & MagnitudeMask;
            if (magnitude >> 16 == high)
                lowCounts[magnitude & 0xFFFF]++;
        }

        int low = 0;
        while (below + lowCounts[low] < count)
            below += lowCounts[low++];

        uint threshold = ((uint)high << 16) | (uint)low;
        int ties = count - below;
        for (int i = 0; i < weights.Length; i++)
        {
            uint magnitude = weights[i] & MagnitudeMask;
            if (magnitude < threshold)
            {
                weights[i] = 0;
            }
            else if (magnitude == threshold && ties > 0)
            {
                weights[i] = 0;
                ties--;
            }
        }
    }

    /// <summary>
    /// Prunes one group of four rows, vectorized across columns. Weight i survives when fewer than two others beat
    /// it, j beating i when |w_j| &gt; |w_i|, or |w_j| = |w_i| with j above i: a strict order, so exactly two survive.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void KeepTwoOfFour<TLanes, TVector>(float* top, nint stride, int count)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector zero = TLanes.Create(0f);
        TVector one = TLanes.Create(1f);
        TVector two = TLanes.Create(2f);
        float* row0 = top;
        float* row1 = top + stride;
        float* row2 = top + 2 * stride;
        float* row3 = top + 3 * stride;
        int c = 0;
        for (; c <= count - TLanes.Count; c += TLanes.Count)
        {
            TVector w0 = TLanes.Load(row0 + c), w1 = TLanes.Load(row1 + c), w2 = TLanes.Load(row2 + c), w3 = TLanes.Load(row3 + c);
            TVector a0 = TLanes.Abs(w0), a1 = TLanes.Abs(w1), a2 = TLanes.Abs(w2), a3 = TLanes.Abs(w3);

            TVector beaten0 = Sum<TLanes, TVector>(TLanes.IfGreater(a1, a0, one, zero), TLanes.IfGreater(a2, a0, one, zero), TLanes.IfGreater(a3, a0, one, zero));
            TVector beaten1 = Sum<TLanes, TVector>(TLanes.IfGreater(a1, a0, zero, one), TLanes.IfGreater(a2, a1, one, zero), TLanes.IfGreater(a3, a1, one, zero));
            TVector beaten2 = Sum<TLanes, TVector>(TLanes.IfGreater(a2, a0, zero, one), TLanes.IfGreater(a2, a1, zero, one), TLanes.IfGreater(a3, a2, one, zero));
            TVector beaten3 = Sum<TLanes, TVector>(TLanes.IfGreater(a3, a0, zero, one), TLanes.IfGreater(a3, a1, zero, one), TLanes.IfGreater(a3, a2, zero, one));

            TLanes.Store(row0 + c, TLanes.IfGreater(two, beaten0, w0, zero));
            TLanes.Store(row1 + c, TLanes.IfGreater(two, beaten1, w1, zero));
            TLanes.Store(row2 + c, TLanes.IfGreater(two, beaten2, w2, zero));
            TLanes.Store(row3 + c, TLanes.IfGreater(two, beaten3, w3, zero));
        }

        if (c < count)
            KeepTwoOfFour<ScalarLanes, float>(top + c, stride, count - c);
    }

    private static TVector Sum<TLanes, TVector>(TVector a, TVector b, TVector c)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct => TLanes.Add(TLanes.Add(a, b), c);
}
