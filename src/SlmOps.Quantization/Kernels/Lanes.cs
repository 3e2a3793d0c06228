using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

/// <summary>Which implementation of the kernels runs.</summary>
internal enum KernelPath
{
    /// <summary>The widest the hardware accelerates.</summary>
    Auto,

    /// <summary><see cref="Vector512{T}"/>, or narrower where it is not accelerated.</summary>
    Vector512,

    /// <summary><see cref="Vector256{T}"/>, or narrower where it is not accelerated.</summary>
    Vector256,

    /// <summary><see cref="Vector128{T}"/>, or scalar where it is not accelerated.</summary>
    Vector128,

    /// <summary>One element at a time: the reference the vector paths must match bit for bit.</summary>
    Scalar,
}

/// <summary>Resolves a requested <see cref="KernelPath"/> to one the hardware runs.</summary>
internal static class KernelPaths
{
    public static KernelPath Resolve(KernelPath requested)
    {
        if (requested is KernelPath.Auto or KernelPath.Vector512 && Vector512.IsHardwareAccelerated)
            return KernelPath.Vector512;
        if (requested is KernelPath.Auto or KernelPath.Vector512 or KernelPath.Vector256 && Vector256.IsHardwareAccelerated)
            return KernelPath.Vector256;
        if (requested is not KernelPath.Scalar && Vector128.IsHardwareAccelerated)
            return KernelPath.Vector128;
        return KernelPath.Scalar;
    }
}

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

/// <summary>Sixteen floats at a time.</summary>
internal readonly unsafe struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector512<float> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Create(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> left, Vector512<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> left, Vector512<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> left, Vector512<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> left, Vector512<float> right, Vector512<float> addend) =>
        Vector512.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> left, Vector512<float> right) => Vector512.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> left, Vector512<float> right) => Vector512.MinNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> value) => Vector512.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IfGreater(Vector512<float> left, Vector512<float> right, Vector512<float> whenGreater, Vector512<float> otherwise) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(left, right), whenGreater, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> value) => Vector512.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Floor(Vector512<float> value) => Vector512.Floor(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Clamp(Vector512<float> value, Vector512<float> min, Vector512<float> max) => Vector512.ClampNative(value, min, max);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MarkNonFinite(Vector512<float> marks, Vector512<float> value) => marks | (value - value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitSet(Vector512<float> marks) => marks.AsUInt32() != Vector512<uint>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(byte* destination, Vector512<float> value)
    {
        Vector512<int> integers = Vector512.ConvertToInt32Native(value);
        Vector256<short> shorts = Vector256.Narrow(integers.GetLower(), integers.GetUpper());
        Vector128.Narrow(shorts.GetLower(), shorts.GetUpper()).Store((sbyte*)destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(byte* destination, Vector512<float> first, Vector512<float> second, Vector512<float> third, Vector512<float> fourth)
    {
        Vector512<short> low = Vector512.Narrow(Vector512.ConvertToInt32Native(first), Vector512.ConvertToInt32Native(second));
        Vector512<short> high = Vector512.Narrow(Vector512.ConvertToInt32Native(third), Vector512.ConvertToInt32Native(fourth));
        Vector512.Narrow(low, high).Store((sbyte*)destination);
    }
}

/// <summary>Eight floats at a time.</summary>
internal readonly unsafe struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256<float> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Create(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> left, Vector256<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> left, Vector256<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> left, Vector256<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> left, Vector256<float> right, Vector256<float> addend) =>
        Vector256.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> left, Vector256<float> right) => Vector256.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> left, Vector256<float> right) => Vector256.MinNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> value) => Vector256.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IfGreater(Vector256<float> left, Vector256<float> right, Vector256<float> whenGreater, Vector256<float> otherwise) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(left, right), whenGreater, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> value) => Vector256.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Floor(Vector256<float> value) => Vector256.Floor(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Clamp(Vector256<float> value, Vector256<float> min, Vector256<float> max) => Vector256.ClampNative(value, min, max);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MarkNonFinite(Vector256<float> marks, Vector256<float> value) => marks | (value - value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitSet(Vector256<float> marks) => marks.AsUInt32() != Vector256<uint>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(byte* destination, Vector256<float> value)
    {
        Vector256<int> integers = Vector256.ConvertToInt32Native(value);
        Vector128<short> shorts = Vector128.Narrow(integers.GetLower(), integers.GetUpper());
        Unsafe.WriteUnaligned(destination, Vector128.Narrow(shorts, shorts).AsUInt64().ToScalar());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(byte* destination, Vector256<float> first, Vector256<float> second, Vector256<float> third, Vector256<float> fourth)
    {
        Vector256<short> low = Vector256.Narrow(Vector256.ConvertToInt32Native(first), Vector256.ConvertToInt32Native(second));
        Vector256<short> high = Vector256.Narrow(Vector256.ConvertToInt32Native(third), Vector256.ConvertToInt32Native(fourth));
        Vector256.Narrow(low, high).Store((sbyte*)destination);
    }
}

/// <summary>Four floats at a time.</summary>
internal readonly unsafe struct Lanes128 : ILanes<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector128<float> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Create(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> left, Vector128<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> left, Vector128<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> left, Vector128<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> left, Vector128<float> right, Vector128<float> addend) =>
        Vector128.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> left, Vector128<float> right) => Vector128.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> left, Vector128<float> right) => Vector128.MinNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Abs(Vector128<float> value) => Vector128.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IfGreater(Vector128<float> left, Vector128<float> right, Vector128<float> whenGreater, Vector128<float> otherwise) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(left, right), whenGreater, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> value) => Vector128.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Floor(Vector128<float> value) => Vector128.Floor(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Clamp(Vector128<float> value, Vector128<float> min, Vector128<float> max) => Vector128.ClampNative(value, min, max);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MarkNonFinite(Vector128<float> marks, Vector128<float> value) => marks | (value - value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitSet(Vector128<float> marks) => marks.AsUInt32() != Vector128<uint>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(byte* destination, Vector128<float> value)
    {
        Vector128<int> integers = Vector128.ConvertToInt32Native(value);
        Vector128<short> shorts = Vector128.Narrow(integers, integers);
        Unsafe.WriteUnaligned(destination, Vector128.Narrow(shorts, shorts).AsUInt32().ToScalar());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(byte* destination, Vector128<float> first, Vector128<float> second, Vector128<float> third, Vector128<float> fourth)
    {
        Vector128<short> low = Vector128.Narrow(Vector128.ConvertToInt32Native(first), Vector128.ConvertToInt32Native(second));
        Vector128<short> high = Vector128.Narrow(Vector128.ConvertToInt32Native(third), Vector128.ConvertToInt32Native(fourth));
        Vector128.Narrow(low, high).Store((sbyte*)destination);
    }
}

/// <summary>One float at a time: the reference implementation.</summary>
internal readonly unsafe struct ScalarLanes : ILanes<float>
{
    public static int Count => 1;

    public static float Load(float* source) => *source;

    public static void Store(float* destination, float value) => *destination = value;

    public static float Create(float value) => value;

    public static float Add(float left, float right) => left + right;

    public static float Subtract(float left, float right) => left - right;

    public static float Multiply(float left, float right) => left * right;

    public static float Divide(float left, float right) => left / right;

    public static float MultiplyAdd(float left, float right, float addend) => MathF.FusedMultiplyAdd(left, right, addend);

    public static float Max(float left, float right) => left > right ? left : right;

    public static float Min(float left, float right) => left < right ? left : right;

    public static float Abs(float value) => MathF.Abs(value);

    public static float IfGreater(float left, float right, float whenGreater, float otherwise) => left > right ? whenGreater : otherwise;

    public static float Round(float value) => MathF.Round(value, MidpointRounding.ToEven);

    public static float Floor(float value) => MathF.Floor(value);

    public static float Clamp(float value, float min, float max) => MathF.Min(MathF.Max(value, min), max);

    public static float MarkNonFinite(float marks, float value) =>
        BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(marks) | BitConverter.SingleToInt32Bits(value - value));

    public static bool AnyBitSet(float marks) => BitConverter.SingleToInt32Bits(marks) != 0;

    public static void StoreBytes(byte* destination, float value) => *destination = (byte)(int)value;

    public static void StoreBytes(byte* destination, float first, float second, float third, float fourth)
    {
        destination[0] = (byte)(int)first;
        destination[1] = (byte)(int)second;
        destination[2] = (byte)(int)third;
        destination[3] = (byte)(int)fourth;
    }
}
