using SlmOps.Onnx.Protobuf;

namespace SlmOps.Validation;

/// <summary>
/// The integer graph inputs that index a table, with the table's rows: <c>input_ids</c> of a transformer feeds a
/// <c>Gather</c> (axis 0) of the word-embedding initializer, so a sample's ids must stay below its first dimension.
/// </summary>
public static class IndexBounds
{
    /// <summary>Graph input name -> exclusive upper bound of its values (the smallest table it indexes).</summary>
    public static IReadOnlyDictionary<string, long> Of(GraphProto graph)
    {
        var inputs = new HashSet<string>(graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        var tables = graph.Initializer.Where(t => t.Dims.Count > 0).ToDictionary(t => t.Name, t => t.Dims[0], StringComparer.Ordinal);
        var bounds = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            if (node.OpType != "Gather" || node.Domain is not ("" or "ai.onnx") || node.Input.Count < 2) continue;
            if (node.Attribute.FirstOrDefault(a => a.Name == "axis") is { I: not 0 }) continue;
            string indices = node.Input[1];
            if (!inputs.Contains(indices) || !tables.TryGetValue(node.Input[0], out long rows) || rows <= 0) continue;
            bounds[indices] = bounds.TryGetValue(indices, out long known) ? Math.Min(known, rows) : rows;
        }

        return bounds;
    }
}
