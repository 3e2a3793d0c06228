using System.Runtime.CompilerServices;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// The vectorized loops shared by the quantizers, each over a run of contiguous floats (part of a matrix row) with
/// one accumulator or quantization parameter per element. Written once over <see cref="ILanes{TVector}"/>; the
/// elements that do not fill a vector go through <see cref="ScalarLanes"/>, which computes the same values.
/// </summary>
internal static unsafe class RowKernels
{
    /// <summary>
    /// Folds <paramref name="row"/> into the per-element running maximum magnitude: where
    /// <c>|row[i]| &gt; bestAbs[i]</c>, <c>best[i]</c> takes the signed value and <c>bestAbs[i]</c> its magnitude, so
    /// the earliest row wins ties. Returns whether the row holds a NaN or an infinity.
    /// </summary>
    public static bool AccumulateMaxMagnitude<TLanes, TVector>(float* row, int count, float* best, float* bestAbs)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector marks = TLanes.Create(0f);
        int i = 0;
        for (; i <= count - TLanes.Count; i += TLanes.Count)
        {
            TVector value = TLanes.Load(row + i);
            TVector magnitude = TLanes.Abs(value);
            TVector currentAbs = TLanes.Load(bestAbs + i);
            TLanes.Store(best + i, TLanes.IfGreater(magnitude, currentAbs, value, TLanes.Load(best + i)));
            TLanes.Store(bestAbs + i, TLanes.IfGreater(magnitude, currentAbs, magnitude, currentAbs));
            marks = TLanes.MarkNonFinite(marks, value);
        }

        bool nonFinite = TLanes.AnyMarked(marks);
        if (i < count)
            nonFinite |= AccumulateMaxMagnitude<ScalarLanes, float>(row + i, count - i, best + i, bestAbs + i);
        return nonFinite;
    }

    /// <summary>
    /// Folds <paramref name="row"/> into the per-element running minimum and maximum (a value replaces the current one
    /// only when strictly beyond it). Returns whether the row holds a NaN or an infinity.
    /// </summary>
    public static bool AccumulateMinMax<TLanes, TVector>(float* row, int count, float* min, float* max)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector marks = TLanes.Create(0f);
        int i = 0;
        for (; i <= count - TLanes.Count; i += TLanes.Count)
        {
            TVector value = TLanes.Load(row + i);
            TVector currentMin = TLanes.Load(min + i);
            TVector currentMax = TLanes.Load(max + i);
            TLanes.Store(min + i, TLanes.IfGreater(currentMin, value, value, currentMin));
            TLanes.Store(max + i, TLanes.IfGreater(value, currentMax, value, currentMax));
            marks = TLanes.MarkNonFinite(marks, value);
        }

        bool nonFinite = TLanes.AnyMarked(marks);
        if (i < count)
            nonFinite |= AccumulateMinMax<ScalarLanes, float>(row + i, count - i, min + i, max + i);
        return nonFinite;
    }

    /// <summary>
    /// Quantizes <paramref name="row"/> to bytes, element <c>i</c> with its own parameters:
    /// <c>clamp(round(row[i] * prescale[i] * reciprocal[i]) + zeroPoint[i], min, max)</c>.
    /// </summary>
    public static void Quantize<TLanes, TVector>(
        float* row, int count, float* prescale, float* reciprocal, float* zeroPoint, float min, float max, byte* destination)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector low = TLanes.Create(min);
        TVector high = TLanes.Create(max);
        int i = 0;
        for (; i <= count - TLanes.Count; i += TLanes.Count)
        {
            TVector level = Level<TLanes, TVector>(
                TLanes.Load(row + i), TLanes.Load(prescale + i), TLanes.Load(reciprocal + i), TLanes.Load(zeroPoint + i), low, high);
            TLanes.StoreBytes(destination + i, level);
        }

        if (i < count)
            Quantize<ScalarLanes, float>(row + i, count - i, prescale + i, reciprocal + i, zeroPoint + i, min, max, destination + i);
    }

    /// <summary>
    /// Quantizes two rows to 4-bit levels in [0, <paramref name="max"/>] and packs them into one byte per element:
    /// <paramref name="lowRow"/> in the low nibble, <paramref name="highRow"/> in the high nibble. A null
    /// <paramref name="highRow"/> is padding: its nibble is the zero point.
    /// </summary>
    public static void QuantizeNibblePair<TLanes, TVector>(
        float* lowRow, float* highRow, int count, float* prescale, float* reciprocal, float* zeroPoint, float max, byte* destination)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector low = TLanes.Create(0f);
        TVector high = TLanes.Create(max);
        TVector sixteen = TLanes.Create(16f);
        int i = 0;
        for (; i <= count - TLanes.Count; i += TLanes.Count)
        {
            TVector pre = TLanes.Load(prescale + i);
            TVector rec = TLanes.Load(reciprocal + i);
            TVector zero = TLanes.Load(zeroPoint + i);
            TVector first = Level<TLanes, TVector>(TLanes.Load(lowRow + i), pre, rec, zero, low, high);
            TVector second = highRow == null ? zero : Level<TLanes, TVector>(TLanes.Load(highRow + i), pre, rec, zero, low, high);
            TLanes.StoreBytes(destination + i, TLanes.Add(first, TLanes.Multiply(second, sixteen)));
        }

        if (i < count)
        {
            QuantizeNibblePair<ScalarLanes, float>(
                lowRow + i, highRow == null ? null : highRow + i, count - i, prescale + i, reciprocal + i, zeroPoint + i, max, destination + i);
        }
    }

    /// <summary>Quantizes <paramref name="row"/> to bytes with one set of parameters for every element.</summary>
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
        for (; i <= count - TLanes.Count; i += TLanes.Count)
            TLanes.StoreBytes(destination + i, Level<TLanes, TVector>(TLanes.Load(row + i), pre, rec, zero, low, high));

        if (i < count)
            QuantizeUniform<ScalarLanes, float>(row + i, count - i, prescale, reciprocal, zeroPoint, min, max, destination + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Level<TLanes, TVector>(TVector value, TVector prescale, TVector reciprocal, TVector zeroPoint, TVector min, TVector max)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct =>
        TLanes.Clamp(TLanes.Add(TLanes.Round(TLanes.Multiply(TLanes.Multiply(value, prescale), reciprocal)), zeroPoint), min, max);
}
