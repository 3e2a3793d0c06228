namespace SlmOps.Quantization;

/// <summary>What the weights become.</summary>
public enum Precision
{
    /// <summary>Unchanged (useful with pruning alone).</summary>
    Fp32,

    /// <summary>Weights and compute in float16; graph inputs and outputs stay float32 by default.</summary>
    Fp16,

    /// <summary>int8 dynamic: per-channel int8 weights, activations quantized at run time (MatMulInteger or QDQ).</summary>
    Int8,

    /// <summary>int8 weight-only, block-wise: <c>com.microsoft.MatMulNBits</c> with bits=8; activations stay float.</summary>
    Int8Weight,

    /// <summary>int4 weight-only, block-wise: <c>com.microsoft.MatMulNBits</c> with bits=4; activations stay float.</summary>
    Int4,

    /// <summary>
    /// Static QDQ for NPU-style targets: <c>QuantizeLinear</c>/<c>DequantizeLinear</c> around each MatMul/Gemm's
    /// activations (ranges calibrated ahead, <see cref="QuantizationOptions.Ranges"/>) and a per-channel
    /// <c>DequantizeLinear</c> on its 8-bit weight.
    /// </summary>
    Qdq,
}
