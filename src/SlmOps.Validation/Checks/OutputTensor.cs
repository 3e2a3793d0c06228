using Microsoft.ML.OnnxRuntime.Tensors;

namespace SlmOps.Validation;

/// <summary>
/// One output of a run, copied out of ONNX Runtime: floating-point outputs (float, double, float16, bfloat16) as
/// <see cref="Floats"/>, integer and boolean ones as <see cref="Integers"/>.
/// </summary>
public sealed record OutputTensor(string Name, TensorElementType ElementType, long[] Shape, float[]? Floats, long[]? Integers)
{
    /// <summary>How many values are NaN or infinite (0 for integer outputs).</summary>
    public int NonFiniteCount => Floats is null ? 0 : Floats.Count(v => !float.IsFinite(v));
}
