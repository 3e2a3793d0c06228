namespace SlmOps.Quantization;

/// <summary>The integer type of the activations in static QDQ (<see cref="Precision.Qdq"/>).</summary>
public enum QdqActivationType
{
    /// <summary>uint8, asymmetric per tensor (the common NPU format).</summary>
    UInt8,

    /// <summary>uint16, asymmetric per tensor: 256 times finer steps, for targets with 16-bit activation kernels (<c>com.microsoft</c> Q/DQ below opset 21).</summary>
    UInt16,
}
