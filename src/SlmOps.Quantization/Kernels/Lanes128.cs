using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

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
