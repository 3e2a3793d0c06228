using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>
/// Visits every graph, node and tensor of a model, including subgraphs in node attributes (If, Loop, Scan),
/// function bodies and training graphs. Iterative, so hostile nesting cannot overflow the stack (the parser's
/// recursion limit already bounds it).
/// </summary>
public static class ModelWalker
{
    /// <summary>The main graph and every subgraph reachable from its nodes, outermost first.</summary>
    public static IEnumerable<GraphProto> EnumerateGraphs(GraphProto root)
    {
        var pending = new Stack<GraphProto>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var graph = pending.Pop();
            yield return graph;
            for (int n = graph.Node.Count - 1; n >= 0; n--)
            {
                foreach (var sub in SubgraphsOf(graph.Node[n]).Reverse()) pending.Push(sub);
            }
        }
    }

    /// <summary>Every node of the main graph and its subgraphs (not function bodies: those are not executed as such).</summary>
    public static IEnumerable<NodeProto> EnumerateGraphNodes(ModelProto model) =>
        model.Graph is null ? [] : EnumerateGraphs(model.Graph).SelectMany(g => g.Node);

    /// <summary>Every tensor anywhere in the model: initializers, sparse initializers, constant attributes, in all graphs, functions and training graphs.</summary>
    public static IEnumerable<TensorProto> EnumerateTensors(ModelProto model)
    {
        var roots = new List<GraphProto>();
        if (model.Graph is not null) roots.Add(model.Graph);
        foreach (var training in model.TrainingInfo)
        {
            if (training.Initialization is not null) roots.Add(training.Initialization);
            if (training.Algorithm is not null) roots.Add(training.Algorithm);
        }

        foreach (var graph in roots.SelectMany(EnumerateGraphs))
        {
            foreach (var t in graph.Initializer) yield return t;
            foreach (var s in graph.SparseInitializer)
                foreach (var t in TensorsOf(s)) yield return t;
            foreach (var node in graph.Node)
                foreach (var t in node.Attribute.SelectMany(TensorsOf)) yield return t;
        }

        foreach (var function in model.Functions)
        {
            foreach (var t in function.AttributeProto.SelectMany(TensorsOf)) yield return t;
            foreach (var node in function.Node)
            {
                foreach (var t in node.Attribute.SelectMany(TensorsOf)) yield return t;
                foreach (var sub in SubgraphsOf(node).SelectMany(EnumerateGraphs))
                {
                    foreach (var t in sub.Initializer) yield return t;
                    foreach (var s in sub.SparseInitializer)
                        foreach (var t in TensorsOf(s)) yield return t;
                    foreach (var subNode in sub.Node)
                        foreach (var t in subNode.Attribute.SelectMany(TensorsOf)) yield return t;
                }
            }
        }
    }

    private static IEnumerable<GraphProto> SubgraphsOf(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is not null) yield return attribute.G;
            foreach (var g in attribute.Graphs) yield return g;
        }
    }

    private static IEnumerable<TensorProto> TensorsOf(AttributeProto attribute)
    {
        if (attribute.T is not null) yield return attribute.T;
        foreach (var t in attribute.Tensors) yield return t;
        if (attribute.SparseTensor is not null)
            foreach (var t in TensorsOf(attribute.SparseTensor)) yield return t;
        foreach (var s in attribute.SparseTensors)
            foreach (var t in TensorsOf(s)) yield return t;
    }

    private static IEnumerable<TensorProto> TensorsOf(SparseTensorProto sparse)
    {
        if (sparse.Values is not null) yield return sparse.Values;
        if (sparse.Indices is not null) yield return sparse.Indices;
    }
}
