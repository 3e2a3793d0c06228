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
    /// uint8, symmetric around 128: the levels of <see cref="Signed"/> plus 128 (<c>scale = max|w| / 127</c>,
    /// <c>q = round(w / scale) + 128</c> in [1, 255]), zero point 128. The weights dequantize exactly as the signed
    /// ones do (<c>MatMulInteger</c> and <c>DequantizeLinear</c> subtract the zero point exactly), but as uint8 they
    /// make ONNX Runtime on x64 multiply u8 activations with u8 weights, whose kernels cannot saturate, rather than
    /// with the u8·s8 <c>vpmaddubsw</c> instruction, whose 16-bit pairwise sums saturate on CPUs without VNNI.
    /// </summary>
    Unsigned,

    /// <summary>
    /// uint8, asymmetric over [min(0, min w), max(0, max w)]: <c>scale = (max - min) / 255</c>, zero point
    /// <c>round(-min / scale)</c>, levels in [0, 255]. Measured less accurate than <see cref="Unsigned"/> for int8
    /// dynamic quantization.
    /// </summary>
    UnsignedAsymmetric,
}
