using System.Runtime.CompilerServices;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// The vectorized loops shared by the quantizers, each over runs of contiguous floats (matrix rows) with one
/// accumulator or set of quantization parameters per element (column). Written once over
/// <see cref="ILanes{TVector}"/>; the elements that do not fill a vector go through <see cref="ScalarLanes"/>,
/// which computes the same values.
/// </summary>
internal static unsafe class RowKernels
{
    /// <summary>
    /// Folds up to four rows into per-element running minima and maxima (pass a row more than once to fold fewer).
    /// Returns whether the rows hold a NaN or an infinity. Zeros may come back as -0 (see <see cref="ILanes{TVector}.Max"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool AccumulateMinMax<TLanes, TVector>(float* row0, float* row1, float* row2, float* row3, int count, float* min, float* max)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector marks = TLanes.Create(0f);
        int i = 0;
        for (; i <= count - TLanes.Count; i += TLanes.Count)
        {
            TVector v0 = TLanes.Load(row0 + i);
            TVector v1 = TLanes.Load(row1 + i);
            TVector v2 = TLanes.Load(row2 + i);
            TVector v3 = TLanes.Load(row3 + i);
            TVector high = TLanes.Max(TLanes.Max(v0, v1), TLanes.Max(v2, v3));
            TVector low = TLanes.Min(TLanes.Min(v0, v1), TLanes.Min(v2, v3));
            TLanes.Store(max + i, TLanes.Max(TLanes.Load(max + i), high));
            TLanes.Store(min + i, TLanes.Min(TLanes.Load(min + i), low));
            marks = TLanes.MarkNonFinite(TLanes.MarkNonFinite(marks, v0), v1);
            marks = TLanes.MarkNonFinite(TLanes.MarkNonFinite(marks, v2), v3);
        }

        bool nonFinite = TLanes.AnyBitSet(marks);
        if (i < count)
            nonFinite |= AccumulateMinMax<ScalarLanes, float>(row0 + i, row1 + i, row2 + i, row3 + i, count - i, min + i, max + i);
        return nonFinite;
    }

    /// <summary>
    /// Quantizes <paramref name="row"/> to bytes, element <c>i</c> with its own parameters:
    /// <c>clamp(round(row[i] * prescale[i] * reciprocal[i]) + zeroPoint[i], min, max)</c>. A null
    /// <paramref name="prescale"/> stands for all ones (and skips the multiplication, which would be exact).
    /// </summary>
    public static void Quantize<TLanes, TVector>(
        float* row, int count, float* prescale, float* reciprocal, float* zeroPoint, float min, float max, byte* destination)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        if (prescale == null)
            Quantize<TLanes, TVector, Unscaled>(row, count, prescale, reciprocal, zeroPoint, min, max, destination);
        else
            Quantize<TLanes, TVector, Prescaled>(row, count, prescale, reciprocal, zeroPoint, min, max, destination);
    }

    /// <summary>
    /// Quantizes two rows to 4-bit levels in [0, <paramref name="max"/>] and packs them into one byte per element:
    /// <paramref name="lowRow"/> in the low nibble, <paramref name="highRow"/> in the high nibble. A null
    /// <paramref name="highRow"/> is padding: its nibble is the zero point. Parameters as in <see cref="Quantize{TLanes, TVector}"/>.
    /// </summary>
    public static void QuantizeNibblePair<TLanes, TVector>(
        float* lowRow, float* highRow, int count, float* prescale, float* reciprocal, float* zeroPoint, float max, byte* destination)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        if (prescale == null)
            QuantizeNibblePair<TLanes, TVector, Unscaled>(lowRow, highRow, count, prescale, reciprocal, zeroPoint, max, destination);
        else
            QuantizeNibblePair<TLanes, TVector, Prescaled>(lowRow, highRow, count, prescale, reciprocal, zeroPoint, max, destination);
    }

    /// <summary>Quantizes <paramref name="row"/> to bytes with one set of parameters for every element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeUniform<TLanes, TVector>(
        float* row, int count, float prescale, float reciprocal, float zeroPoint, float min, float max, byte* destination)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector pre = TLanes.Create(prescale);
        TVector rec = TLanes.Create(reciprocal);
        TVector zero = TLanes.Create(zeroPoint);
        TVector low = TLanes.Create(min);
        TVector high = TLanes.Create(max);
        int i = 0;
        for (; i <= count - 4 * TLanes.Count; i += 4 * TLanes.Count)
        {
            TLanes.StoreBytes(
                destination + i,
                Level<TLanes, TVector>(TLanes.Load(row + i), pre, rec, zero, low, high),
                Level<TLanes, TVector>(TLanes.Load(row + i + TLanes.Count), pre, rec, zero, low, high),
                Level<TLanes, TVector>(TLanes.Load(row + i + 2 * TLanes.Count), pre, rec, zero, low, high),
                Level<TLanes, TVector>(TLanes.Load(row + i + 3 * TLanes.Count), pre, rec, zero, low, high));
        }

        for (; i <= count - TLanes.Count; i += TLanes.Count)
            TLanes.StoreBytes(destination + i, Level<TLanes, TVector>(TLanes.Load(row + i), pre, rec, zero, low, high));

        if (i < count)
            QuantizeUniform<ScalarLanes, float>(row + i, count - i, prescale, reciprocal, zeroPoint, min, max, destination + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Quantize<TLanes, TVector, TScaling>(
        float* row, int count, float* prescale, float* reciprocal, float* zeroPoint, float min, float max, byte* destination)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TScaling : struct, IScaling
    {
        TVector low = TLanes.Create(min);
        TVector high = TLanes.Create(max);
        int i = 0;
        for (; i <= count - 4 * TLanes.Count; i += 4 * TLanes.Count)
        {
            TLanes.StoreBytes(
                destination + i,
                Level<TLanes, TVector, TScaling>(row, i, prescale, reciprocal, zeroPoint, low, high),
                Level<TLanes, TVector, TScaling>(row, i + TLanes.Count, prescale, reciprocal, zeroPoint, low, high),
                Level<TLanes, TVector, TScaling>(row, i + 2 * TLanes.Count, prescale, reciprocal, zeroPoint, low, high),
                Level<TLanes, TVector, TScaling>(row, i + 3 * TLanes.Count, prescale, reciprocal, zeroPoint, low, high));
        }

        for (; i <= count - TLanes.Count; i += TLanes.Count)
            TLanes.StoreBytes(destination + i, Level<TLanes, TVector, TScaling>(row, i, prescale, reciprocal, zeroPoint, low, high));

        if (i < count)
        {
            Quantize<ScalarLanes, float, TScaling>(
                row + i, count - i, TScaling.IsPrescaled ? prescale + i : null, reciprocal + i, zeroPoint + i, min, max, destination + i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeNibblePair<TLanes, TVector, TScaling>(
        float* lowRow, float* highRow, int count, float* prescale, float* reciprocal, float* zeroPoint, float max, byte* destination)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TScaling : struct, IScaling
    {
        TVector low = TLanes.Create(0f);
        TVector high = TLanes.Create(max);
        int i = 0;
        for (; i <= count - 4 * TLanes.Count; i += 4 * TLanes.Count)
        {
            TLanes.StoreBytes(
                destination + i,
                NibblePair<TLanes, TVector, TScaling>(lowRow, highRow, i, prescale, reciprocal, zeroPoint, low, high),
                NibblePair<TLanes, TVector, TScaling>(lowRow, highRow, i + TLanes.Count, prescale, reciprocal, zeroPoint, low, high),
                NibblePair<TLanes, TVector, TScaling>(lowRow, highRow, i + 2 * TLanes.Count, prescale, reciprocal, zeroPoint, low, high),
                NibblePair<TLanes, TVector, TScaling>(lowRow, highRow, i + 3 * TLanes.Count, prescale, reciprocal, zeroPoint, low, high));
        }

        for (; i <= count - TLanes.Count; i += TLanes.Count)
            TLanes.StoreBytes(destination + i, NibblePair<TLanes, TVector, TScaling>(lowRow, highRow, i, prescale, reciprocal, zeroPoint, low, high));

        if (i < count)
        {
            QuantizeNibblePair<ScalarLanes, float, TScaling>(
                lowRow + i,
                highRow == null ? null : highRow + i,
                count - i,
                TScaling.IsPrescaled ? prescale + i : null,
                reciprocal + i,
                zeroPoint + i,
                max,
                destination + i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector NibblePair<TLanes, TVector, TScaling>(
        float* lowRow, float* highRow, int i, float* prescale, float* reciprocal, float* zeroPoint, TVector min, TVector max)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TScaling : struct, IScaling
    {
        TVector first = Level<TLanes, TVector, TScaling>(lowRow, i, prescale, reciprocal, zeroPoint, min, max);
        TVector second = highRow == null ? TLanes.Load(zeroPoint + i) : Level<TLanes, TVector, TScaling>(highRow, i, prescale, reciprocal, zeroPoint, min, max);
        return TLanes.Add(first, TLanes.Multiply(second, TLanes.Create(16f)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Level<TLanes, TVector, TScaling>(float* row, int i, float* prescale, float* reciprocal, float* zeroPoint, TVector min, TVector max)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TScaling : struct, IScaling
    {
        TVector value = TLanes.Load(row + i);
        if (TScaling.IsPrescaled)
            value = TLanes.Multiply(value, TLanes.Load(prescale + i));
        return TLanes.Clamp(TLanes.Add(TLanes.Round(TLanes.Multiply(value, TLanes.Load(reciprocal + i))), TLanes.Load(zeroPoint + i)), min, max);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Level<TLanes, TVector>(TVector value, TVector prescale, TVector reciprocal, TVector zeroPoint, TVector min, TVector max)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct =>
        TLanes.Clamp(TLanes.Add(TLanes.Round(TLanes.Multiply(TLanes.Multiply(value, prescale), reciprocal)), zeroPoint), min, max);

    /// <summary>Whether a loop multiplies by a per-element prescale, decided when the generic loop is compiled.</summary>
    internal interface IScaling
    {
        static abstract bool IsPrescaled { get; }
    }

    internal readonly struct Prescaled : IScaling
    {
        public static bool IsPrescaled => true;
    }

    internal readonly struct Unscaled : IScaling
    {
        public static bool IsPrescaled => false;
    }
}
