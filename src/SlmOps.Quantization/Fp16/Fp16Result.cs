namespace SlmOps.Quantization.Fp16;

/// <summary>What <see cref="Fp16Converter.Convert"/> changed.</summary>
/// <param name="ConvertedInitializers">
/// Names of the graph initializers whose <c>data_type</c> changed from FLOAT to FLOAT16, in initializer order. Their
/// payloads were not touched: whoever writes the model converts them (see <see cref="Fp16Narrowing"/>).
/// </param>
/// <param name="NodesConverted">Nodes with float values that now compute in float16 (Constant nodes included).</param>
/// <param name="NodesKeptFloat32">Nodes with float values that stay float32 (blocked, unselected, subgraph or sequence nodes, other domains).</param>
/// <param name="CastsInserted">Cast nodes added.</param>
/// <param name="ConstantsClamped">Finite values in node-attribute tensors (Constant, ConstantOfShape) beyond ±65504 that were clamped.</param>
public sealed record Fp16Result(
    IReadOnlyList<string> ConvertedInitializers,
    int NodesConverted,
    int NodesKeptFloat32,
    int CastsInserted,
    int ConstantsClamped);
