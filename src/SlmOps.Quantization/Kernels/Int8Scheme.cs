namespace SlmOps.Quantization.Kernels;

/// <summary>How <see cref="ChannelQuantizer"/> maps a channel of weights to 8-bit integers.</summary>
public enum Int8Scheme
{
    /// <summary>int8, symmetric: <c>scale = max|w| / 127</c>, levels in [-127, 127], zero point 0.</summary>
    Signed,

    /// <summary>
    /// int8, symmetric with 7-bit levels in [-63, 63] (<c>scale = max|w| / 63</c>): products of u8 activations and
    /// these weights never saturate the 16-bit pairwise sums of AVX2 <c>vpmaddubsw</c> on CPUs without VNNI.
    /// </summary>
    SignedReducedRange,

    /// <summary>
    /// uint8, asymmetric over [min(0, min w), max(0, max w)]: <c>scale = (max - min) / 255</c>, zero point
    /// <c>round(-min / scale)</c>, levels in [0, 255].
    /// </summary>
    Unsigned,

    /// <summary>uint8, asymmetric like <see cref="Unsigned"/> with levels in [0, 127] (<c>scale = (max - min) / 127</c>).</summary>
    UnsignedReducedRange,
}
