using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization;

/// <summary>
/// One quantization run: the source model (payloads deferred), the output model being rewritten (headers only), and
/// the payload groups that will produce the output's weights when it is written.
/// </summary>
internal sealed class QuantizationContext : IDisposable
{
    private readonly Dictionary<TensorProto, TensorProto> _sourceOf = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public QuantizationContext(OnnxModel source, QuantizationOptions options)
    {
        Source = source;
        Options = options;
        Reader = source.OpenPayloads();
        Output = source.Proto.Clone();
        foreach (var (copy, original) in Output.Graph.Initializer.Zip(source.Proto.Graph.Initializer)) _sourceOf.Add(copy, original);
        foreach (var graph in ModelWalker.EnumerateGraphs(Output.Graph))
        {
            foreach (var node in graph.Node)
            {
                _names.Add(node.Name);
                foreach (var value in node.Output) _names.Add(value);
            }
            foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo)) _names.Add(value.Name);
            foreach (var tensor in graph.Initializer) _names.Add(tensor.Name);
        }
        Selection = new NameSelection(options.Include, options.Exclude);
        _initializers = Output.Graph.Initializer.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        _graphInputs = Output.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
    }

    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly HashSet<string> _graphInputs;

    public OnnxModel Source { get; }

    public QuantizationOptions Options { get; }

    public PayloadReader Reader { get; }

    /// <summary>The model being written. Its initializers carry no payload where the source deferred it.</summary>
    public ModelProto Output { get; }

    public GraphProto Graph => Output.Graph;

    public NameSelection Selection { get; }

    public List<PayloadGroup> Groups { get; } = [];

    public List<QuantizationMessage> Messages { get; } = [];

    public List<TensorReport> Tensors { get; } = [];

    /// <summary>Adds the report line of a rewritten weight.</summary>
    public TensorReport Report(WeightCandidate candidate, string format, long bytesAfter)
    {
        var report = new TensorReport(candidate, format, bytesAfter);
        Tensors.Add(report);
        return report;
    }

    public void Info(string text) => Messages.Add(new QuantizationMessage(MessageLevel.Info, null, text));

    public void Warning(string code, string text) => Messages.Add(new QuantizationMessage(MessageLevel.Warning, code, text));

    /// <summary>A name not used anywhere in the model yet, based on <paramref name="hint"/>.</summary>
    public string UniqueName(string hint)
    {
        string name = hint;
        for (int i = 1; !_names.Add(name); i++) name = hint + "_" + i;
        return name;
    }

    /// <summary>The main-graph initializer named <paramref name="name"/> (as the model had it before the pass).</summary>
    public TensorProto? FindInitializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>True when a main-graph initializer is also declared as a graph input (then it can be overridden at run time).</summary>
    public bool IsGraphInput(string name) => _graphInputs.Contains(name);

    /// <summary>The payload of an output initializer, from wherever the source keeps it.</summary>
    public PayloadView ReadPayload(TensorProto outputInitializer) =>
        Reader.Read(_sourceOf.TryGetValue(outputInitializer, out var source) ? source : outputInitializer);

    /// <summary>The float weights of an initializer, mapped from the source (no copy); dispose when done.</summary>
    public FloatPayload OpenFloats(TensorProto initializer)
    {
        var view = ReadPayload(initializer);
        long expected = TensorData.Of(initializer).ElementCount ?? -1;
        if (view.Bytes.Length != expected * 4)
        {
            view.Dispose();
            throw new OnnxModelException(OnnxErrorCodes.TruncatedOrCorrupt, Source.FilePath,
                $"Initializer '{initializer.Name}' has {view.Bytes.Length:N0} payload bytes but its shape needs {expected * 4:N0}; the model is corrupt. Export it again.");
        }
        return new FloatPayload(view);
    }

    /// <summary>Adds a new initializer produced by <paramref name="group"/> (its headers are added to the graph in order).</summary>
    public void Add(PayloadGroup group)
    {
        Graph.Initializer.Add(group.Headers);
        Groups.Add(group);
    }

    /// <summary>A header for a new initializer: a unique name based on <paramref name="hint"/>, a type and a shape.</summary>
    public TensorProto NewHeader(string hint, DataType type, params long[] dims)
    {
        var header = new TensorProto { Name = UniqueName(hint), DataType = (int)type };
        header.Dims.Add(dims);
        return header;
    }

    /// <summary>Removes those of <paramref name="initializers"/> that nothing reads any more (in any graph, or as an output).</summary>
    public void RemoveUnused(IEnumerable<TensorProto> initializers)
    {
        var used = ModelWalker.EnumerateGraphs(Graph).SelectMany(g => g.Node).SelectMany(n => n.Input)
            .Concat(Graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var unused = initializers.Where(t => !used.Contains(t.Name)).ToHashSet(ReferenceEqualityComparer.Instance);
        if (unused.Count == 0) return;
        var names = unused.Cast<TensorProto>().Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var t in Graph.Initializer.Where(unused.Contains).ToList()) Graph.Initializer.Remove(t);
        foreach (var i in Graph.Input.Where(i => names.Contains(i.Name)).ToList()) Graph.Input.Remove(i);
        foreach (var i in Graph.ValueInfo.Where(i => names.Contains(i.Name)).ToList()) Graph.ValueInfo.Remove(i);
        Groups.RemoveAll(g => g.Headers.Any(unused.Contains));
    }

    /// <summary>Adds the opset import for <paramref name="domain"/> unless the model has one.</summary>
    public void EnsureOpset(string domain, long version)
    {
        if (!Output.OpsetImport.Any(o => o.Domain == domain)) Output.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
    }

    /// <summary>The model's default-domain opset version.</summary>
    public long DefaultOpset => Output.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;

    /// <summary>Groups that copy every remaining file-backed initializer payload unchanged.</summary>
    public void CopyRemainingPayloads()
    {
        var grouped = Groups.SelectMany(g => g.Headers).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var header in Graph.Initializer)
        {
            if (grouped.Contains(header) || !_sourceOf.TryGetValue(header, out var source)) continue;
            var data = Source.GetTensorData(source);
            if (data.Storage is TensorStorage.Deferred or TensorStorage.External)
                Groups.Add(PayloadGroup.Copy(Reader, source, header, data.ByteLength!.Value));
        }
    }

    /// <summary>
    /// Fills fresh native payload buffers with <paramref name="fill"/> (on a writer thread). A kernel's non-finite
    /// error becomes SLM3002 naming <paramref name="tensor"/>; on any failure the buffers are freed.
    /// </summary>
    public NativePayloads Produce(TensorProto tensor, Action<NativePayloads> fill)
    {
        var output = new NativePayloads();
        try
        {
            fill(output);
            return output;
        }
        catch (NonFiniteWeightException ex)
        {
            output.Dispose();
            throw NonFinite(tensor, ex);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a kernel's non-finite error as SLM3002 naming the tensor.</summary>
    public QuantizationException NonFinite(TensorProto tensor, NonFiniteWeightException ex) =>
        new(QuantizationErrorCodes.NonFiniteWeight, Source.FilePath,
            $"Initializer '{tensor.Name}' holds {ex.Value} at element {ex.Index:N0}; weights must be finite to be quantized. Fix the model's export, or exclude the tensor (--exclude, or QuantizeExclude on the SlmModel).", ex);

    public void Dispose() => Reader.Dispose();
}
