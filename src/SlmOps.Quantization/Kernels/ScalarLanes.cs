namespace SlmOps.Quantization.Kernels;

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
