namespace SlmOps.Quantization;

/// <summary>How int8 dynamic quantization is written into the graph.</summary>
public enum Int8Format
{
    /// <summary><c>DynamicQuantizeLinear</c> + <c>MatMulInteger</c> + rescale (standard ONNX operators).</summary>
    QOperator,

    /// <summary><c>DynamicQuantizeLinear</c> + <c>DequantizeLinear</c> around a float <c>MatMul</c>; runtimes fuse it.</summary>
    Qdq,
}
