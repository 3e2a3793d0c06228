using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Fp16;

/// <summary>
/// Infers the element type (<see cref="DataType"/> as an int) of every value of a graph without ONNX shape
/// inference: from graph inputs, initializers, the declared <c>value_info</c>/outputs, and per-operator rules.
/// </summary>
/// <remarks>
/// <para>
/// Rules: most operators output the type of input 0 (elementwise math, data movement: Gather, Slice, Reshape,
/// Transpose, Concat, Split, Pad, ...). Exceptions are listed explicitly: Shape/Size/NonZero/ArgMax/ArgMin → int64;
/// comparisons and logic → bool; Cast → <c>to</c>; CastLike → input 1; Constant → its value; ConstantOfShape → its
/// <c>value</c> (default float); Where → input 1; TopK/Unique/MaxPool → (input 0, int64...); quantization ops from
/// their scale/zero point; Random*/EyeLike/Bernoulli/Multinomial from <c>dtype</c>; If/Loop/Scan from their
/// subgraph outputs; a few <c>com.microsoft</c> fused ops (EmbedLayerNormalization, SkipLayerNormalization, ...).
/// </para>
/// <para>
/// For operators without an explicit rule (including other domains) a declared type (<c>value_info</c> or graph
/// output) wins over the input-0 guess. Values that are sequences, maps or optionals get <see cref="NotATensor"/>;
/// values whose type cannot be known are absent from the result.
/// </para>
/// </remarks>
public static class ElementTypeInference
{
    /// <summary>The marker for values that are not tensors (sequence, map, optional, sparse tensor, opaque).</summary>
    public const int NotATensor = -1;

    /// <summary>
    /// Infers the element types of <paramref name="graph"/>'s values: graph inputs, initializers (dense and sparse),
    /// and every node output, in node order (the graph must be topologically sorted, as ONNX requires).
    /// </summary>
    /// <param name="graph">The graph; not modified.</param>
    /// <param name="outerScope">Types of values visible from an enclosing graph (for subgraphs); may be null.</param>
    /// <returns>Value name → element type (<see cref="DataType"/> value or <see cref="NotATensor"/>).</returns>
    public static Dictionary<string, int> Infer(GraphProto graph, IReadOnlyDictionary<string, int>? outerScope = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        if (outerScope is not null)
        {
            foreach (var (name, type) in outerScope) types[name] = type;
        }

        // Element types of sequence values (SplitToSequence, SequenceConstruct, ...), for SequenceAt/ConcatFromSequence.
        var sequenceElements = new Dictionary<string, int>(StringComparer.Ordinal);

        var declared = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var info in graph.ValueInfo) AddDeclared(declared, sequenceElements, info);
        foreach (var info in graph.Output) AddDeclared(declared, sequenceElements, info);

        foreach (var input in graph.Input)
        {
            if (TypeOf(input.Type) is int t) types[input.Name] = t;
            if (SequenceElementOf(input.Type) is int e) sequenceElements[input.Name] = e;
        }

        foreach (var tensor in graph.Initializer) types[tensor.Name] = tensor.DataType;
        foreach (var sparse in graph.SparseInitializer)
        {
            if (sparse.Values is { } values) types[values.Name] = values.DataType;
        }

        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Output.Count; i++)
            {
                string name = node.Output[i];
                if (name.Length == 0) continue;
                var (type, certain) = OutputType(node, i, types, sequenceElements);
                if (!certain && declared.TryGetValue(name, out int declaredType))
                    type = declaredType;
                if (type != 0) types[name] = type;
                else types.Remove(name);

                if (type == NotATensor && SequenceElementOfOutput(node, types, sequenceElements) is int element && element != 0)
                    sequenceElements[name] = element;
            }
        }

        return types;
    }

    /// <summary>The element type of a tensor <see cref="TypeProto"/>, <see cref="NotATensor"/> for other kinds, null when absent.</summary>
    internal static int? TypeOf(TypeProto? type) => type?.ValueCase switch
    {
        null or TypeProto.ValueOneofCase.None => null,
        TypeProto.ValueOneofCase.TensorType => type.TensorType.ElemType == 0 ? null : type.TensorType.ElemType,
        _ => NotATensor,
    };

    private static int? SequenceElementOf(TypeProto? type) =>
        type?.ValueCase == TypeProto.ValueOneofCase.SequenceType ? TypeOf(type.SequenceType.ElemType) : null;

    private static void AddDeclared(Dictionary<string, int> declared, Dictionary<string, int> sequenceElements, ValueInfoProto info)
    {
        if (TypeOf(info.Type) is int t) declared[info.Name] = t;
        if (SequenceElementOf(info.Type) is int e) sequenceElements[info.Name] = e;
    }

    private static bool IsStandardOrMicrosoft(string domain) => domain is "" or "ai.onnx" or "com.microsoft";

    /// <summary>The type of output <paramref name="index"/>; <c>certain</c> is false for the input-0 fallback.</summary>
    private static (int Type, bool Certain) OutputType(NodeProto node, int index, Dictionary<string, int> types, Dictionary<string, int> sequenceElements)
    {
        int In(int i) => i < node.Input.Count && node.Input[i].Length > 0 && types.TryGetValue(node.Input[i], out int t) ? t : 0;
        int SeqIn(int i) => i < node.Input.Count && sequenceElements.TryGetValue(node.Input[i], out int t) ? t : 0;
        (int, bool) Sure(int t) => (t, t != 0);
        int DtypeOr(int fallback) => IntAttribute(node, "dtype") is long d && d != 0 ? (int)d : fallback;

        if (!IsStandardOrMicrosoft(node.Domain))
            return (In(0), false);

        switch (node.OpType)
        {
            case "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin" or "NonMaxSuppression" or "SequenceLength":
                return Sure((int)DataType.Int64);
            case "Cast":
                return Sure(IntAttribute(node, "to") is long to ? (int)to : 0);
            case "CastLike":
                return Sure(In(1));
            case "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "Not" or "And" or "Or" or "Xor"
                or "IsNaN" or "IsInf" or "OptionalHasElement" or "RegexFullMatch":
                return Sure((int)DataType.Bool);
            case "Constant":
                return Sure(ConstantType(node));
            case "ConstantOfShape":
                return Sure(TensorAttribute(node, "value") is { } value ? value.DataType : (int)DataType.Float);
            case "Where":
                return Sure(In(1));
            case "TopK" or "MaxPool":
                return Sure(index == 0 ? In(0) : (int)DataType.Int64);
            case "Unique":
                return Sure(index == 0 ? In(0) : (int)DataType.Int64);
            case "Dropout":
                return Sure(index == 0 ? In(0) : (int)DataType.Bool);
            case "LayerNormalization" or "SimplifiedLayerNormalization":
                return Sure(index == 0 ? In(0) : (int)(IntAttribute(node, "stash_type") ?? (long)DataType.Float));
            case "SkipLayerNormalization" or "SkipSimplifiedLayerNormalization":
                return Sure(index is 1 or 2 ? (int)DataType.Float : In(0));
            case "BatchNormalization":
                return Sure(index == 0 ? In(0) : In(index == 1 ? 3 : 4));
            case "DequantizeLinear":
                return Sure(IntAttribute(node, "output_dtype") is long od && od != 0 ? (int)od : In(1));
            case "QuantizeLinear":
                return Sure(In(2) != 0 ? In(2) : IntAttribute(node, "output_dtype") is long qd && qd != 0 ? (int)qd : (int)DataType.Uint8);
            case "DynamicQuantizeLinear":
                return Sure(index == 1 ? (int)DataType.Float : (int)DataType.Uint8);
            case "MatMulInteger" or "ConvInteger":
                return Sure((int)DataType.Int32);
            case "QLinearMatMul" or "QLinearConv":
                return Sure(In(7));
            case "MatMulIntegerToFloat" or "GatherBlockQuantized":
                return Sure(In(2));
            case "QAttention":
                return Sure(In(3));
            case "EmbedLayerNormalization":
                return Sure(index == 1 ? (int)DataType.Int32 : In(2));
            case "OneHot":
                return Sure(In(2));
            case "EyeLike" or "RandomNormalLike" or "RandomUniformLike" or "Bernoulli":
                return Sure(DtypeOr(In(0)));
            case "RandomNormal" or "RandomUniform":
                return Sure(DtypeOr((int)DataType.Float));
            case "Multinomial":
                return Sure(DtypeOr((int)DataType.Int32));
            case "StringNormalizer" or "StringConcat":
                return Sure((int)DataType.String);
            case "StringSplit":
                return Sure(index == 0 ? (int)DataType.String : (int)DataType.Int64);
            case "ImageDecoder":
                return Sure((int)DataType.Uint8);
            case "If":
                return Sure(SubgraphOutputType(node, "then_branch", index) is int t1 && t1 != 0 ? t1 : SubgraphOutputType(node, "else_branch", index) ?? 0);
            case "Loop":
                return Sure(SubgraphOutputType(node, "body", index + 1) ?? 0);
            case "Scan":
                return Sure(SubgraphOutputType(node, "body", index) ?? 0);
            case "SequenceAt" or "ConcatFromSequence":
                return Sure(SeqIn(0));
            case "SplitToSequence" or "SequenceConstruct" or "SequenceInsert" or "SequenceErase" or "SequenceEmpty"
                or "Optional" or "SequenceMap":
                return (NotATensor, true);
            default:
                return (In(0), false);
        }
    }

    private static int? SequenceElementOfOutput(NodeProto node, Dictionary<string, int> types, Dictionary<string, int> sequenceElements)
    {
        int In(int i) => i < node.Input.Count && types.TryGetValue(node.Input[i], out int t) ? t : 0;
        return node.OpType switch
        {
            "SplitToSequence" or "SequenceConstruct" => In(0),
            "SequenceInsert" or "SequenceErase" => node.Input.Count > 0 && sequenceElements.TryGetValue(node.Input[0], out int e) ? e : null,
            "SequenceEmpty" => IntAttribute(node, "dtype") is long d && d != 0 ? (int)d : (int)DataType.Float,
            _ => null,
        };
    }

    private static int? SubgraphOutputType(NodeProto node, string attribute, int index)
    {
        foreach (var a in node.Attribute)
        {
            if (a.Name == attribute && a.G is { } g && index < g.Output.Count)
                return TypeOf(g.Output[index].Type);
        }
        return null;
    }

    /// <summary>The element type a Constant node produces.</summary>
    internal static int ConstantType(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            switch (a.Name)
            {
                case "value" when a.T is not null: return a.T.DataType;
                case "sparse_value" when a.SparseTensor?.Values is not null: return a.SparseTensor.Values.DataType;
                case "value_float" or "value_floats": return (int)DataType.Float;
                case "value_int" or "value_ints": return (int)DataType.Int64;
                case "value_string" or "value_strings": return (int)DataType.String;
            }
        }
        return 0;
    }

    internal static long? IntAttribute(NodeProto node, string name)
    {
        foreach (var a in node.Attribute)
        {
            if (a.Name == name && (a.Type == AttributeProto.Types.AttributeType.Int || (a.Type == AttributeProto.Types.AttributeType.Undefined && a.HasI))) return a.I;
        }
        return null;
    }

    internal static TensorProto? TensorAttribute(NodeProto node, string name)
    {
        foreach (var a in node.Attribute)
        {
            if (a.Name == name && a.T is not null) return a.T;
        }
        return null;
    }
}
