using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization;

internal static class WeightCandidates
{
    /// <summary>
    /// The nodes a weight pass can rewrite, in graph order, after layer selection. Every MatMul or Gemm that is not
    /// rewritable gets an info message saying why, so users can tell an unsupported pattern from a deliberate choice.
    /// </summary>
    public static List<WeightCandidate> Find(QuantizationContext context)
    {
        var result = new List<WeightCandidate>();
        foreach (var node in context.Graph.Node)
        {
            if (node.Domain is not ("" or "ai.onnx") || node.OpType is not ("MatMul" or "Gemm")) continue;
            string label = $"{node.OpType} '{NodeName(node)}'";
            if (node.Input.Count < 2)
            {
                context.Info($"{label} left as is: it has fewer than two inputs.");
                continue;
            }

            var weight = context.FindInitializer(node.Input[1]);
            if (weight is null)
            {
                context.Info($"{label} left as is: its B input '{node.Input[1]}' is computed, not a constant weight.");
                continue;
            }
            if (context.IsGraphInput(weight.Name))
            {
                context.Info($"{label} left as is: its weight '{weight.Name}' is also a graph input, so callers can replace it at run time.");
                continue;
            }
            if (weight.DataType != (int)DataType.Float || weight.Dims.Count != 2)
            {
                context.Info($"{label} left as is: its weight '{weight.Name}' is {SlmOps.Onnx.OnnxElementTypes.GetName(weight.DataType)} of rank {weight.Dims.Count}; only 2-D float weights are quantized.");
                continue;
            }
            if (!context.Selection.IsSelected(node.Name, weight.Name))
            {
                context.Info($"{label} left as is: excluded by the include/exclude patterns.");
                continue;
            }
            if (SizeProblem(weight) is { } problem)
            {
                context.Info($"{label} left as is: its weight '{weight.Name}' {problem}.");
                continue;
            }
            if (weight.Dims[0] * weight.Dims[1] < context.Options.MinimumElements)
            {
                context.Info($"{label} left as is: its weight has {weight.Dims[0] * weight.Dims[1]:N0} elements, fewer than the minimum of {context.Options.MinimumElements:N0}.");
                continue;
            }

            if (node.OpType == "MatMul")
            {
                result.Add(new WeightCandidate(node, weight, weight.Dims[0], weight.Dims[1], false, null));
                continue;
            }

            if (GemmCandidate(context, node, weight, label) is { } gemm) result.Add(gemm);
        }
        return result;
    }

    private static WeightCandidate? GemmCandidate(QuantizationContext context, NodeProto node, TensorProto weight, string label)
    {
        float alpha = Attribute(node, "alpha")?.F ?? 1f;
        float beta = Attribute(node, "beta")?.F ?? 1f;
        bool transA = (Attribute(node, "transA")?.I ?? 0) != 0;
        bool transB = (Attribute(node, "transB")?.I ?? 0) != 0;
        if (alpha != 1f || transA)
        {
            context.Info($"{label} left as is: Gemm with alpha ≠ 1 or transA = 1 has no weight-only rewrite.");
            return null;
        }

        long k = transB ? weight.Dims[1] : weight.Dims[0];
        long n = transB ? weight.Dims[0] : weight.Dims[1];
        TensorProto? bias = null;
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            bias = context.FindInitializer(node.Input[2]);
            if (bias is null || beta != 1f || bias.DataType != (int)DataType.Float || bias.Dims.Count != 1 || bias.Dims[0] != n)
            {
                context.Info($"{label} left as is: its C input is not a float [{n}] constant with beta 1, which the rewrite needs.");
                return null;
            }
        }
        return new WeightCandidate(node, weight, k, n, transB, bias);
    }

    /// <summary>The largest float tensor a pass reads in memory: its bytes must fit one span (2 GB).</summary>
    public const long MaxElementsInMemory = int.MaxValue / sizeof(float);

    /// <summary>
    /// Why a 2-D float weight cannot be rewritten whatever the settings (empty, or too large to map as one span), or
    /// null. The loader has already checked that its shape and payload agree.
    /// </summary>
    public static string? SizeProblem(TensorProto weight)
    {
        long elements = weight.Dims[0] * weight.Dims[1];
        if (elements == 0) return $"is empty ([{weight.Dims[0]}, {weight.Dims[1]}])";
        if (elements > MaxElementsInMemory) return $"has {elements:N0} elements, more than the {MaxElementsInMemory:N0} (2 GB) a weight can have to be quantized here";
        return null;
    }

    public static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public static string NodeName(NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? node.OpType;

    public static NodeProto Node(string op, string name, string[] inputs, string[] outputs, string domain = "")
    {
        var node = new NodeProto { OpType = op, Name = name, Domain = domain };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        return node;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>Replaces <paramref name="old"/> by <paramref name="replacements"/> at the same place in the node list.</summary>
    public static void Replace(GraphProto graph, NodeProto old, params NodeProto[] replacements)
    {
        int index = graph.Node.IndexOf(old);
        graph.Node.RemoveAt(index);
        for (int i = 0; i < replacements.Length; i++) graph.Node.Insert(index + i, replacements[i]);
    }
}
