using SlmOps.Onnx.Protobuf;

namespace SlmOps.Quantization.Fp16;

/// <summary>
/// The float16 conversion pass: rewrites a model's graph so that float32 computation runs in float16, keeping
/// numerically fragile operators (<see cref="Fp16Options.BlockedOps"/>) and unselected nodes in float32 with Casts at
/// the borders.
/// </summary>
/// <remarks>
/// <para>
/// The pass never reads or writes graph initializer payloads (the engine streams them and may not have loaded them):
/// it only changes the <c>data_type</c> of the float32 initializers that only float16 nodes read to FLOAT16 and lists
/// them in <see cref="Fp16Result.ConvertedInitializers"/>; the writer converts their bytes (<see cref="Fp16Narrowing"/>).
/// An initializer that a float32 node also reads stays float32 and float16 readers get one shared Cast. Tensors in
/// node attributes (Constant <c>value</c>, ConstantOfShape <c>value</c>) are small and inline: the pass converts
/// those itself, clamping finite values to ±65504 and keeping NaN/±Inf. A Constant node is converted only when all
/// its readers are float16 (like initializers).
/// </para>
/// <para>
/// Only the main graph is rewritten. Nodes with subgraphs (If, Loop, Scan) stay float32, subgraphs included; outer
/// values a subgraph reads implicitly are handed to it as float32 (through a Cast whose name replaces the reference
/// inside the subgraph). Nodes that read or produce sequences, maps or optionals stay float32 too, and so do nodes of
/// domains other than the standard one and <c>com.microsoft</c>.
/// </para>
/// <para>
/// The rewrite is deterministic (same model and options → same protobuf bytes): Casts are named
/// <c>&lt;value&gt;_to_fp16</c>/<c>&lt;value&gt;_to_fp32</c> (with a numeric suffix on collision), one per value and
/// target type, placed right before their first reader; the Cast that restores a graph output's declared type comes
/// right after the producer, which gets the output name plus <c>_fp16</c>/<c>_fp32</c>. Opset imports and the IR version
/// are left as they are. <c>value_info</c> entries follow their values to FLOAT16.
/// </para>
/// </remarks>
public static class Fp16Converter
{
    /// <summary>Converts <paramref name="model"/>'s main graph to float16 in place.</summary>
    /// <param name="model">The model; its graph is rewritten in place. Initializer payloads are neither read nor written.</param>
    /// <param name="options">What to keep float32 and how to treat graph I/O.</param>
    /// <param name="nodeSelected">Layer selection: false keeps that node float32 (as if blocked). Null selects every node.</param>
    /// <returns>What changed, including the initializers whose payloads the caller must convert.</returns>
    public static Fp16Result Convert(ModelProto model, Fp16Options options, Func<NodeProto, bool>? nodeSelected = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (model.Graph is null)
            throw new ArgumentException("The model has no graph.", nameof(model));

        return new Fp16GraphRewriter(model.Graph, options, nodeSelected).Rewrite();
    }
}
