using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization;

/// <summary>The integer type of the weights in static QDQ (<see cref="Precision.Qdq"/>); always per output channel and symmetric.</summary>
public enum QdqWeightType
{
    /// <summary>int8, levels in [-127, 127], zero point 0 (<see cref="Int8Scheme.Signed"/>).</summary>
    Int8,

    /// <summary>uint8 symmetric around 128: the int8 levels plus 128, zero point 128 (<see cref="Int8Scheme.Unsigned"/>).</summary>
    UInt8,
}
