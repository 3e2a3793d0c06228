using SlmOps.Onnx.Protobuf;

namespace SlmOps.Quantization.Fp16;

/// <summary>Name scoping across subgraphs (If/Loop/Scan attributes): implicit outer references and renaming them.</summary>
internal static class SubgraphScopes
{
    /// <summary>The outer-scope values that <paramref name="node"/>'s subgraphs read, in first-use order.</summary>
    public static List<string> OuterReferences(NodeProto node)
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var graph in SubgraphsOf(node))
        {
            foreach (string name in OuterReferences(graph))
            {
                if (seen.Add(name)) result.Add(name);
            }
        }
        return result;
    }

    private static List<string> OuterReferences(GraphProto graph)
    {
        var local = LocalNames(graph);
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string name)
        {
            if (name.Length > 0 && !local.Contains(name) && seen.Add(name)) result.Add(name);
        }

        foreach (var node in graph.Node)
        {
            foreach (string input in node.Input) Add(input);
            foreach (var sub in SubgraphsOf(node))
            {
                foreach (string name in OuterReferences(sub)) Add(name);
            }
        }
        foreach (var output in graph.Output) Add(output.Name);
        return result;
    }

    /// <summary>Replaces reads of outer value <paramref name="from"/> with <paramref name="to"/> inside <paramref name="node"/>'s subgraphs.</summary>
    public static void RenameOuterReference(NodeProto node, string from, string to)
    {
        foreach (var graph in SubgraphsOf(node)) Rename(graph, from, to);
    }

    private static void Rename(GraphProto graph, string from, string to)
    {
        if (LocalNames(graph).Contains(from)) return; // shadowed: the subgraph's own value
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from) node.Input[i] = to;
            }
            foreach (var sub in SubgraphsOf(node)) Rename(sub, from, to);
        }
        foreach (var output in graph.Output)
        {
            if (output.Name == from) output.Name = to;
        }
    }

    /// <summary>Adds every value and node name of <paramref name="graph"/> and its subgraphs to <paramref name="names"/>.</summary>
    public static void CollectNames(GraphProto graph, HashSet<string> names)
    {
        foreach (var v in graph.Input) names.Add(v.Name);
        foreach (var v in graph.Output) names.Add(v.Name);
        foreach (var v in graph.ValueInfo) names.Add(v.Name);
        foreach (var t in graph.Initializer) names.Add(t.Name);
        foreach (var s in graph.SparseInitializer)
        {
            if (s.Values is { } values) names.Add(values.Name);
        }
        foreach (var node in graph.Node)
        {
            names.Add(node.Name);
            foreach (string v in node.Input) names.Add(v);
            foreach (string v in node.Output) names.Add(v);
            foreach (var sub in SubgraphsOf(node)) CollectNames(sub, names);
        }
    }

    private static HashSet<string> LocalNames(GraphProto graph)
    {
        var local = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in graph.Input) local.Add(v.Name);
        foreach (var t in graph.Initializer) local.Add(t.Name);
        foreach (var s in graph.SparseInitializer)
        {
            if (s.Values is { } values) local.Add(values.Name);
        }
        foreach (var node in graph.Node)
        {
            foreach (string v in node.Output) local.Add(v);
        }
        return local;
    }

    private static IEnumerable<GraphProto> SubgraphsOf(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            if (a.G is not null) yield return a.G;
            foreach (var g in a.Graphs) yield return g;
        }
    }
}
