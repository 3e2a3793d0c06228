using System.Collections.Frozen;

namespace SlmOps.Quantization.Fp16;

/// <summary>How <see cref="Fp16Converter"/> converts a model to float16.</summary>
public sealed record Fp16Options
{
    /// <summary>
    /// True (default): float32 graph inputs and outputs stay float32; a Cast to float16 follows each input that
    /// float16 nodes read, and a final Cast to float32 produces each output computed in float16. False: they are
    /// declared float16 (callers feed and read float16).
    /// </summary>
    public bool KeepIoTypes { get; init; } = true;

    /// <summary>
    /// Operator types (matched on <c>op_type</c>, in the standard and <c>com.microsoft</c> domains) that stay
    /// float32, with Casts around them. Operators of every other domain always stay float32.
    /// </summary>
    public IReadOnlySet<string> BlockedOps { get; init; } = DefaultBlockedOps;

    /// <summary>
    /// True (default): an elementwise arithmetic node (Add, Sub, Mul, Div, Sqrt, Reciprocal, Neg, Abs, Max, Min,
    /// Sum, Mean, Clip, Log, Relu, Identity) whose computed float inputs all come from float32 nodes (blocked or
    /// unselected) stays float32 as well; constants and graph inputs do not count.
    /// </summary>
    /// <remarks>
    /// A blocked node's result can be beyond the float16 range (a variance of 90,000 from ReduceMean(Pow(x − mean)));
    /// casting it back to float16 for the next Add would make it infinite, so the chain after a blocked node stays
    /// float32 until it meets a float16 value (there the result is back in the activation's range: the Div by the
    /// standard deviation). It also saves the Cast pairs a short float32 chain would otherwise need.
    /// </remarks>
    public bool ExtendFloat32Regions { get; init; } = true;

    /// <summary>
    /// The operators that stay float32 by default, each for a reason:
    /// <list type="bullet">
    /// <item><description><c>Pow</c>: squares overflow float16 above |x| = 256 (LayerNorm decompositions square the centered input).</description></item>
    /// <item><description><c>Exp</c>: overflows float16 above x ≈ 11.1; elementwise, so float32 only costs two Casts.</description></item>
    /// <item><description><c>ReduceMean</c>, <c>ReduceSum</c>, <c>ReduceProd</c>, <c>ReduceSumSquare</c>, <c>ReduceLogSum</c>,
    /// <c>ReduceLogSumExp</c>, <c>ReduceL1</c>, <c>ReduceL2</c>: they accumulate many elements (sums past 65504 overflow,
    /// sums of squares sooner, products at once) and lose precision in a float16 accumulator. ReduceMax/ReduceMin are safe.</description></item>
    /// <item><description><c>CumSum</c>: a running sum, same overflow and precision loss.</description></item>
    /// <item><description><c>Range</c>: start + i·delta in float16 cannot even count past 2048 exactly (positions, indices).</description></item>
    /// <item><description><c>TopK</c>: ranking float16-rounded values creates ties and changes which indices are selected.</description></item>
    /// <item><description><c>Resize</c>, <c>Upsample</c>: their <c>scales</c> input is float32-only and float16 sampling coordinates drift on large images.</description></item>
    /// <item><description><c>NonMaxSuppression</c>, <c>RoiAlign</c>: box coordinates need more than float16's 11 bits, and ONNX Runtime implements them for float32.</description></item>
    /// <item><description><c>RandomNormal</c>, <c>RandomUniform</c>, <c>RandomNormalLike</c>, <c>RandomUniformLike</c>, <c>Bernoulli</c>,
    /// <c>Multinomial</c>: generators keep the float32 model's distribution and dtype; several runtimes lack float16 kernels.</description></item>
    /// <item><description><c>QuantizeLinear</c>, <c>DequantizeLinear</c>, <c>DynamicQuantizeLinear</c>: float16 scales exist only
    /// from opset 19; a quantized section stays as it was exported.</description></item>
    /// </list>
    /// Not blocked, on purpose: <c>Softmax</c>/<c>LogSoftmax</c> (they subtract the maximum first, outputs are bounded,
    /// and runtimes accumulate in float32), <c>Sqrt</c> (cannot overflow; in LayerNorm decompositions its input stays float32
    /// through <see cref="ExtendFloat32Regions"/>), <c>Einsum</c> (a contraction like MatMul, accumulated in float32 by the
    /// kernels; blocking it would leave attention in float32), <c>LayerNormalization</c> (its statistics use <c>stash_type</c>).
    /// </summary>
    public static IReadOnlySet<string> DefaultBlockedOps { get; } = new[]
    {
        "Pow", "Exp",
        "ReduceMean", "ReduceSum", "ReduceProd", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "ReduceL1", "ReduceL2",
        "CumSum", "Range", "TopK", "Resize", "Upsample", "NonMaxSuppression", "RoiAlign",
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial",
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The defaults: float32 I/O, <see cref="DefaultBlockedOps"/>, float32 regions extended.</summary>
    /// <remarks>Declared after <see cref="DefaultBlockedOps"/>: static initializers run in order.</remarks>
    public static Fp16Options Default { get; } = new();
}
