using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// The float operations the kernels are written in, implemented once per vector width so that one generic kernel
/// body serves <see cref="Vector512{T}"/>, <see cref="Vector256{T}"/>, <see cref="Vector128{T}"/> and scalar
/// code. Each operation is exact or correctly rounded lane by lane (rounding half to even; a multiply-add only where
/// <see cref="MultiplyAdd"/> asks for one, fused on every width), so every width gives bit-identical results.
/// </summary>
internal unsafe interface ILanes<TVector>
    where TVector : struct
{
    /// <summary>The number of floats in <typeparamref name="TVector"/>.</summary>
    static abstract int Count { get; }

    static abstract TVector Load(float* source);

    static abstract void Store(float* destination, TVector value);

    static abstract TVector Create(float value);

    static abstract TVector Add(TVector left, TVector right);

    static abstract TVector Subtract(TVector left, TVector right);

    static abstract TVector Multiply(TVector left, TVector right);

    static abstract TVector Divide(TVector left, TVector right);

    /// <summary>
    /// <c>left * right + addend</c> rounded once (fused), on every width and in software where the hardware has no
    /// fused multiply-add, so the paths stay bit-identical.
    /// </summary>
    static abstract TVector MultiplyAdd(TVector left, TVector right, TVector addend);

    /// <summary>
    /// The larger of each pair. Which operand comes back for two zeros of either sign or a NaN is the hardware's
    /// choice, so callers turn -0 into +0 (by adding +0) and detect NaN with <see cref="MarkNonFinite"/>.
    /// </summary>
    static abstract TVector Max(TVector left, TVector right);

    /// <summary>The smaller of each pair, with the caveats of <see cref="Max"/>.</summary>
    static abstract TVector Min(TVector left, TVector right);

    static abstract TVector Abs(TVector value);

    /// <summary><c>left &gt; right ? whenGreater : otherwise</c> per lane; a NaN compares false.</summary>
    static abstract TVector IfGreater(TVector left, TVector right, TVector whenGreater, TVector otherwise);

    /// <summary>Rounds to the nearest integer, halves to even.</summary>
    static abstract TVector Round(TVector value);

    static abstract TVector Floor(TVector value);

    /// <summary>
    /// Clamps to [<paramref name="min"/>, <paramref name="max"/>]. Defined for finite values other than negative
    /// zero, which is all the kernels pass (a rounded value plus a non-negative zero point is never -0).
    /// </summary>
    static abstract TVector Clamp(TVector value, TVector min, TVector max);

    /// <summary>Adds to <paramref name="marks"/> a nonzero bit pattern when a lane of <paramref name="value"/> is NaN or infinite.</summary>
    static abstract TVector MarkNonFinite(TVector marks, TVector value);

    /// <summary>Whether any lane has a bit set: one <see cref="MarkNonFinite"/> marked, or any nonzero value.</summary>
    static abstract bool AnyBitSet(TVector marks);

    /// <summary>Stores the integral lanes of <paramref name="value"/> (in [-128, 255]) as bytes, two's complement for negatives.</summary>
    static abstract void StoreBytes(byte* destination, TVector value);

    /// <summary><see cref="StoreBytes(byte*, TVector)"/> for four vectors, one after the other: 4 * <see cref="Count"/> bytes.</summary>
    static abstract void StoreBytes(byte* destination, TVector first, TVector second, TVector third, TVector fourth);
}
