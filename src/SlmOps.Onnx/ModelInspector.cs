using SlmOps.Contracts;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>Builds a <see cref="ModelInspection"/> from a loaded model.</summary>
internal static class ModelInspector
{
    private const string DefaultDomain = "ai.onnx";

    public static ModelInspection Inspect(OnnxModel model)
    {
        var proto = model.Proto;
        var graph = proto.Graph;

        var initializerNames = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).Select(Describe).ToList();
        var outputs = graph.Output.Select(Describe).ToList();

        var operators = ModelWalker.EnumerateGraphNodes(proto)
            .GroupBy(n => (Domain: NormalizeDomain(n.Domain), n.OpType))
            .Select(g => new OperatorCount(g.Key.Domain, g.Key.OpType, g.Count()))
            .OrderByDescending(o => o.Count).ThenBy(o => o.Key, StringComparer.Ordinal)
            .ToList();

        var byType = new SortedDictionary<string, (int Count, long Bytes)>(StringComparer.Ordinal);
        long totalBytes = 0;
        foreach (var tensor in graph.Initializer)
        {
            var data = model.GetTensorData(tensor);
            long bytes = data.ByteLength ?? 0;
            totalBytes += bytes;
            byType.TryGetValue(data.ElementType, out var sum);
            byType[data.ElementType] = (sum.Count + 1, sum.Bytes + bytes);
        }

        return new ModelInspection
        {
            FilePath = model.FilePath,
            FileLength = model.FileLength,
            Sha256 = model.Sha256,
            IrVersion = proto.IrVersion,
            Opsets = proto.OpsetImport.Select(o => new OpsetImport(NormalizeDomain(o.Domain), o.Version)).ToList(),
            ProducerName = proto.ProducerName,
            ProducerVersion = proto.ProducerVersion,
            Inputs = inputs,
            Outputs = outputs,
            Operators = operators,
            NodeCount = operators.Sum(o => o.Count),
            InitializerCount = graph.Initializer.Count,
            InitializerBytes = totalBytes,
            InitializersByType = byType.Select(kv => new InitializerSummary(kv.Key, kv.Value.Count, kv.Value.Bytes)).ToList(),
            ExternalDataFiles = model.ExternalDataFiles
                .Select(f => new ExternalDataSummary(f.RelativePath, f.FileLength, f.BytesReferenced, f.TensorCount)).ToList(),
            DetectedKind = ModelInspection.DetectKind(inputs.Select(i => i.Name), outputs.Select(o => o.Name)),
        };
    }

    private static string NormalizeDomain(string domain) => string.IsNullOrEmpty(domain) ? DefaultDomain : domain;

    private static GraphValue Describe(ValueInfoProto value)
    {
        var type = value.Type;
        if (type?.TensorType is { } tensor)
        {
            string elementType = OnnxElementTypes.GetName(tensor.ElemType);
            return new GraphValue(value.Name, $"tensor({elementType})", true, elementType, ToShape(tensor.Shape));
        }
        return new GraphValue(value.Name, DescribeType(type), false, null, null);
    }

    private static IReadOnlyList<Dimension>? ToShape(TensorShapeProto? shape) =>
        shape?.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => Dimension.Fixed(d.DimValue),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam when d.DimParam.Length > 0 => Dimension.Symbolic(d.DimParam),
            _ => Dimension.Unknown,
        }).ToList();

    /// <summary>The type as ONNX writes it, for messages and display.</summary>
    internal static string DescribeType(TypeProto? type) => type?.ValueCase switch
    {
        TypeProto.ValueOneofCase.TensorType => $"tensor({OnnxElementTypes.GetName(type.TensorType.ElemType)})",
        TypeProto.ValueOneofCase.SequenceType => $"seq({DescribeType(type.SequenceType.ElemType)})",
        TypeProto.ValueOneofCase.MapType => $"map({OnnxElementTypes.GetName(type.MapType.KeyType)}, {DescribeType(type.MapType.ValueType)})",
        TypeProto.ValueOneofCase.OptionalType => $"optional({DescribeType(type.OptionalType.ElemType)})",
        TypeProto.ValueOneofCase.SparseTensorType => $"sparse_tensor({OnnxElementTypes.GetName(type.SparseTensorType.ElemType)})",
        TypeProto.ValueOneofCase.OpaqueType => $"opaque({type.OpaqueType.Domain}, {type.OpaqueType.Name})",
        _ => "value of unknown type",
    };
}
