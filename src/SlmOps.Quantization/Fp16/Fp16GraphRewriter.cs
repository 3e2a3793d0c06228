using System.Runtime.InteropServices;
using Google.Protobuf;
using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Fp16;

/// <summary>One run of <see cref="Fp16Converter.Convert"/> over one graph.</summary>
internal sealed class Fp16GraphRewriter
{
    private const int F32 = (int)DataType.Float;
    private const int F16 = (int)DataType.Float16;

    /// <summary>Elementwise arithmetic that stays float32 when all its computed float inputs are float32 (<see cref="Fp16Options.ExtendFloat32Regions"/>).</summary>
    private static readonly HashSet<string> s_float32FollowOps = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Sqrt", "Reciprocal", "Neg", "Abs", "Max", "Min", "Sum", "Mean", "Clip", "Log", "Relu", "Identity",
    };

    private enum Mode
    {
        /// <summary>No float32 values: untouched.</summary>
        Neutral,

        /// <summary>Computes in float16.</summary>
        Half,

        /// <summary>Stays float32.</summary>
        Float,

        /// <summary>A Constant node whose fate depends on its readers.</summary>
        ConstantCandidate,
    }

    private enum Slot
    {
        /// <summary>Bound to the node's float type: float16 in a float16 node, float32 in a float32 node.</summary>
        Typed,

        /// <summary>Accepts any element type (Shape, Cast input): reads whatever the value is.</summary>
        Any,

        /// <summary>float32 whatever the node computes in (Resize scales).</summary>
        Float32Only,
    }

    private readonly GraphProto _graph;
    private readonly Fp16Options _options;
    private readonly Func<NodeProto, bool>? _selected;
    private readonly List<NodeProto> _nodes;
    private readonly Dictionary<string, int> _types;
    private readonly Mode[] _modes;
    private readonly List<string>?[] _implicitInputs;
    private readonly Dictionary<string, (int Node, int Output)> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sparseInitializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphInputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _requirements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _native = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _nativeNames = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Value, int Type), string> _castNames = new();
    private readonly Dictionary<string, int> _outputDeclaredTypes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedNames = new(StringComparer.Ordinal);
    private int _castsInserted;
    private int _constantsClamped;

    public Fp16GraphRewriter(GraphProto graph, Fp16Options options, Func<NodeProto, bool>? selected)
    {
        _graph = graph;
        _options = options;
        _selected = selected;
        _nodes = [.. graph.Node];
        _types = ElementTypeInference.Infer(graph);
        _modes = new Mode[_nodes.Count];
        _implicitInputs = new List<string>?[_nodes.Count];
    }

    public Fp16Result Rewrite()
    {
        Index();
        DecideModes();
        if (_options.ExtendFloat32Regions) ExtendFloat32Regions();
        CollectRequirements();
        DecideNativeTypes();

        int converted = 0, kept = 0;
        foreach (var mode in _modes)
        {
            if (mode == Mode.Half) converted++;
            else if (mode == Mode.Float) kept++;
        }

        var castsAfter = PlanGraphOutputs();
        Emit(castsAfter);
        var convertedInitializers = UpdateDeclarations();
        return new Fp16Result(convertedInitializers, converted, kept, _castsInserted, _constantsClamped);
    }

    // ---- analysis ---------------------------------------------------------------------------------------------

    private void Index()
    {
        foreach (var t in _graph.Initializer) _initializers.TryAdd(t.Name, t);
        foreach (var s in _graph.SparseInitializer)
        {
            if (s.Values is { } values) _sparseInitializers.Add(values.Name);
        }
        foreach (var input in _graph.Input)
        {
            if (!_initializers.ContainsKey(input.Name) && !_sparseInitializers.Contains(input.Name)) _graphInputs.Add(input.Name);
        }

        for (int n = 0; n < _nodes.Count; n++)
        {
            var node = _nodes[n];
            for (int o = 0; o < node.Output.Count; o++)
            {
                if (node.Output[o].Length > 0) _producers.TryAdd(node.Output[o], (n, o));
            }
            if (HasSubgraphs(node)) _implicitInputs[n] = SubgraphScopes.OuterReferences(node);
        }

        SubgraphScopes.CollectNames(_graph, _usedNames);
    }

    private void DecideModes()
    {
        for (int n = 0; n < _nodes.Count; n++)
        {
            var node = _nodes[n];
            if (!TouchesFloat(n))
            {
                _modes[n] = Mode.Neutral;
                continue;
            }

            bool keep = (_selected is not null && !_selected(node))
                || !IsConvertibleDomain(node.Domain)
                || _options.BlockedOps.Contains(node.OpType)
                || _implicitInputs[n] is not null
                || ReadsOrWritesNonTensors(node)
                || !AttributesConvertible(node);

            if (keep) _modes[n] = Mode.Float;
            else _modes[n] = IsConstant(node) ? Mode.ConstantCandidate : Mode.Half;
        }
    }

    private bool TouchesFloat(int n)
    {
        var node = _nodes[n];
        for (int i = 0; i < node.Input.Count; i++)
        {
            if (IsFloat(node.Input[i]) && SlotKind(node, i) != Slot.Any) return true;
        }
        foreach (var output in node.Output)
        {
            if (IsFloat(output)) return true;
        }
        return _implicitInputs[n]?.Any(IsFloat) == true;
    }

    private void ExtendFloat32Regions()
    {
        // Node order is topological, so one pass sees every producer's final mode.
        for (int n = 0; n < _nodes.Count; n++)
        {
            var node = _nodes[n];
            if (_modes[n] != Mode.Half || node.Domain.Length != 0 || !s_float32FollowOps.Contains(node.OpType)) continue;

            int computedFloat32 = 0;
            bool allFloat32 = true;
            for (int i = 0; i < node.Input.Count && allFloat32; i++)
            {
                string value = node.Input[i];
                if (!IsFloat(value)) continue;
                if (_graphInputs.Contains(value))
                {
                    allFloat32 = false; // graph inputs feed the float16 region (through a Cast when KeepIoTypes)
                    break;
                }
                if (!_producers.TryGetValue(value, out var producer)) continue; // initializer
                var producerNode = _nodes[producer.Node];
                if (IsConstant(producerNode)) continue;
                if (ProducedType(producer.Node, producer.Output) == F32) computedFloat32++;
                else allFloat32 = false;
            }

            if (allFloat32 && computedFloat32 > 0) _modes[n] = Mode.Float;
        }
    }

    /// <summary>The type a node output has after conversion (not for undecided Constant nodes).</summary>
    private int ProducedType(int n, int output) => _modes[n] switch
    {
        Mode.Half => KeepsFloat32Output(_nodes[n], output) ? F32 : F16,
        _ => F32,
    };

    private void CollectRequirements()
    {
        for (int n = 0; n < _nodes.Count; n++)
        {
            var node = _nodes[n];
            var mode = _modes[n];
            if (mode is not (Mode.Half or Mode.Float)) continue;

            for (int i = 0; i < node.Input.Count; i++)
            {
                string value = node.Input[i];
                if (!IsFloat(value)) continue;
                switch (SlotKind(node, i))
                {
                    case Slot.Typed: Require(value, mode == Mode.Half ? F16 : F32); break;
                    case Slot.Float32Only: Require(value, F32); break;
                }
            }

            if (_implicitInputs[n] is { } implicitInputs)
            {
                foreach (string value in implicitInputs)
                {
                    if (IsFloat(value)) Require(value, F32);
                }
            }
        }

        foreach (var output in _graph.Output)
        {
            if (IsFloat(output.Name)) Require(output.Name, _options.KeepIoTypes ? F32 : F16);
        }
    }

    private void Require(string value, int type)
    {
        if (!_requirements.TryGetValue(value, out var list)) _requirements[value] = list = [];
        list.Add(type);
    }

    private bool AllReadersWantHalf(string value) =>
        _requirements.TryGetValue(value, out var list) && list.Count > 0 && list.TrueForAll(t => t == F16);

    private void DecideNativeTypes()
    {
        foreach (var (name, _) in _initializers)
        {
            if (IsFloat(name)) _native[name] = AllReadersWantHalf(name) ? F16 : F32;
        }
        foreach (string name in _sparseInitializers)
        {
            if (IsFloat(name)) _native[name] = F32;
        }
        foreach (string name in _graphInputs)
        {
            if (IsFloat(name)) _native[name] = _options.KeepIoTypes ? F32 : F16;
        }

        for (int n = 0; n < _nodes.Count; n++)
        {
            var node = _nodes[n];
            if (_modes[n] == Mode.ConstantCandidate)
                _modes[n] = node.Output.Count == 1 && AllReadersWantHalf(node.Output[0]) ? Mode.Half : Mode.Float;

            for (int o = 0; o < node.Output.Count; o++)
            {
                if (IsFloat(node.Output[o])) _native.TryAdd(node.Output[o], ProducedType(n, o));
            }
        }
    }

    // ---- rewriting --------------------------------------------------------------------------------------------

    /// <summary>
    /// Graph outputs whose computed type differs from their declared type: the producer's output is renamed and a
    /// Cast right after it produces the output name. Returns those Casts by producer index.
    /// </summary>
    private Dictionary<int, List<NodeProto>> PlanGraphOutputs()
    {
        var castsAfter = new Dictionary<int, List<NodeProto>>();
        int declared = _options.KeepIoTypes ? F32 : F16;
        foreach (var output in _graph.Output)
        {
            string name = output.Name;
            if (!IsFloat(name) || _nativeNames.ContainsKey(name) || _outputDeclaredTypes.ContainsKey(name)) continue;
            int native = NativeType(name);
            if (native == declared) continue;

            if (!_producers.TryGetValue(name, out var producer))
            {
                // An initializer read as float32 elsewhere and also an output (KeepIoTypes false): it keeps its type.
                _outputDeclaredTypes[name] = native;
                continue;
            }

            string renamed = UniqueName(name + Suffix(native));
            _nativeNames[name] = renamed;
            _castNames[(name, declared)] = name;
            _nodes[producer.Node].Output[producer.Output] = renamed;
            if (!castsAfter.TryGetValue(producer.Node, out var list)) castsAfter[producer.Node] = list = [];
            list.Add(MakeCast(renamed, name, declared, UniqueName(name + "_to" + Suffix(declared))));
        }
        return castsAfter;
    }

    private void Emit(Dictionary<int, List<NodeProto>> castsAfter)
    {
        var emitted = new List<NodeProto>(_nodes.Count + 16);
        var pending = new List<NodeProto>();
        for (int n = 0; n < _nodes.Count; n++)
        {
            var node = _nodes[n];
            var mode = _modes[n];
            pending.Clear();

            for (int i = 0; i < node.Input.Count; i++)
            {
                string value = node.Input[i];
                if (!IsFloat(value)) continue;
                var slot = SlotKind(node, i);
                if (mode == Mode.Neutral || slot == Slot.Any)
                {
                    node.Input[i] = NativeName(value);
                    continue;
                }
                int wanted = slot == Slot.Float32Only || mode == Mode.Float ? F32 : F16;
                node.Input[i] = NameFor(value, wanted, pending);
            }

            if (_implicitInputs[n] is { } implicitInputs)
            {
                foreach (string value in implicitInputs)
                {
                    if (!IsFloat(value)) continue;
                    string name = NameFor(value, F32, pending);
                    if (name != value) SubgraphScopes.RenameOuterReference(node, value, name);
                }
            }

            if (mode == Mode.Half) ConvertAttributes(node);

            emitted.AddRange(pending);
            emitted.Add(node);
            if (castsAfter.TryGetValue(n, out var after)) emitted.AddRange(after);
        }

        _graph.Node.Clear();
        _graph.Node.Add(emitted);
    }

    private string NameFor(string value, int type, List<NodeProto> pending)
    {
        if (NativeType(value) == type) return NativeName(value);
        if (_castNames.TryGetValue((value, type), out string? existing)) return existing;

        string name = UniqueName(value + "_to" + Suffix(type));
        pending.Add(MakeCast(NativeName(value), name, type, name));
        _castNames[(value, type)] = name;
        return name;
    }

    private int NativeType(string value) => _native.TryGetValue(value, out int type) ? type : F32;

    private string NativeName(string value) => _nativeNames.TryGetValue(value, out string? name) ? name : value;

    private static string Suffix(int type) => type == F16 ? "_fp16" : "_fp32";

    private NodeProto MakeCast(string input, string output, int to, string nodeName)
    {
        _castsInserted++;
        var cast = new NodeProto { OpType = "Cast", Name = nodeName };
        cast.Input.Add(input);
        cast.Output.Add(output);
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = to });
        return cast;
    }

    private string UniqueName(string name)
    {
        if (_usedNames.Add(name)) return name;
        for (int k = 1; ; k++)
        {
            string candidate = name + "_" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_usedNames.Add(candidate)) return candidate;
        }
    }

    private List<string> UpdateDeclarations()
    {
        foreach (var input in _graph.Input)
        {
            if (!IsFloat(input.Name) || input.Type?.TensorType is not { } tensorType) continue;
            if (_graphInputs.Contains(input.Name))
            {
                if (!_options.KeepIoTypes) tensorType.ElemType = F16;
            }
            else
            {
                // An initializer also listed as an input (IR < 4 exporters): declared as what the initializer became.
                tensorType.ElemType = NativeType(input.Name);
            }
        }

        if (!_options.KeepIoTypes)
        {
            foreach (var output in _graph.Output)
            {
                if (IsFloat(output.Name) && output.Type?.TensorType is { } tensorType)
                    tensorType.ElemType = _outputDeclaredTypes.TryGetValue(output.Name, out int type) ? type : F16;
            }
        }

        foreach (var info in _graph.ValueInfo)
        {
            if (info.Type?.TensorType is { ElemType: F32 } tensorType
                && NativeType(info.Name) == F16 && _native.ContainsKey(info.Name) && NativeName(info.Name) == info.Name)
            {
                tensorType.ElemType = F16;
            }
        }

        var converted = new List<string>();
        foreach (var tensor in _graph.Initializer)
        {
            if (tensor.DataType == F32 && _native.TryGetValue(tensor.Name, out int type) && type == F16
                && ReferenceEquals(_initializers[tensor.Name], tensor))
            {
                tensor.DataType = F16;
                converted.Add(tensor.Name);
            }
        }
        return converted;
    }

    // ---- attributes of float16 nodes --------------------------------------------------------------------------

    /// <summary>Whether a node's float attributes can be converted (inline payloads only).</summary>
    private static bool AttributesConvertible(NodeProto node)
    {
        if (node.Domain.Length != 0 && node.Domain != "ai.onnx") return true;
        switch (node.OpType)
        {
            case "Constant":
                foreach (var a in node.Attribute)
                {
                    if (a.Name == "sparse_value") return false;
                    if (a.Name == "value" && a.T is { DataType: F32 } t && !TryReadFloats(t, out _)) return false;
                }
                return true;
            case "ConstantOfShape":
                return ElementTypeInference.TensorAttribute(node, "value") is not { DataType: F32 } value || TryReadFloats(value, out _);
            default:
                return true;
        }
    }

    private void ConvertAttributes(NodeProto node)
    {
        if (node.Domain.Length != 0 && node.Domain != "ai.onnx") return;
        switch (node.OpType)
        {
            case "Cast":
                SetDtype(node, "to", addIfMissing: false);
                break;
            case "EyeLike" or "RandomNormalLike" or "RandomUniformLike" or "Bernoulli":
                SetDtype(node, "dtype", addIfMissing: false);
                break;
            case "RandomNormal" or "RandomUniform":
                SetDtype(node, "dtype", addIfMissing: true);
                break;
            case "Constant":
                for (int i = 0; i < node.Attribute.Count; i++)
                {
                    var a = node.Attribute[i];
                    if (a.Name == "value" && a.T is { DataType: F32 } t) ConvertTensor(t);
                    else if (a.Name == "value_float") node.Attribute[i] = HalfTensorAttribute("value", [a.F], scalar: true);
                    else if (a.Name == "value_floats") node.Attribute[i] = HalfTensorAttribute("value", [.. a.Floats], scalar: false);
                }
                break;
            case "ConstantOfShape":
                if (ElementTypeInference.TensorAttribute(node, "value") is { } value)
                {
                    if (value.DataType == F32) ConvertTensor(value);
                }
                else
                {
                    // The default value is a float32 zero; float16 needs it spelled out.
                    node.Attribute.Add(HalfTensorAttribute("value", [0f], scalar: false));
                }
                break;
        }
    }

    private static void SetDtype(NodeProto node, string name, bool addIfMissing)
    {
        foreach (var a in node.Attribute)
        {
            if (a.Name != name) continue;
            if (a.I == F32) a.I = F16;
            return;
        }
        if (addIfMissing)
            node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = F16 });
    }

    private AttributeProto HalfTensorAttribute(string name, float[] values, bool scalar)
    {
        var tensor = new TensorProto { DataType = F16, RawData = ByteString.CopyFrom(Fp16Narrowing.ToRawData(values, out int clamped)) };
        if (!scalar) tensor.Dims.Add(values.Length);
        _constantsClamped += clamped;
        return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = tensor };
    }

    private void ConvertTensor(TensorProto tensor)
    {
        if (!TryReadFloats(tensor, out var values))
            throw new InvalidOperationException($"Tensor '{tensor.Name}' has no inline float32 payload to convert."); // checked by AttributesConvertible

        tensor.RawData = ByteString.CopyFrom(Fp16Narrowing.ToRawData(values, out int clamped));
        tensor.FloatData.Clear();
        tensor.DataType = F16;
        _constantsClamped += clamped;
    }

    /// <summary>Reads an inline float32 tensor's values (raw_data or float_data); false for external or inconsistent payloads.</summary>
    private static bool TryReadFloats(TensorProto tensor, out float[] values)
    {
        values = [];
        if (tensor.DataType != F32 || tensor.DataLocation == DataLocation.External || tensor.ExternalData.Count > 0) return false;

        long count = 1;
        foreach (long d in tensor.Dims)
        {
            if (d < 0 || (count *= d) > int.MaxValue) return false;
        }

        if (tensor.RawData.Length > 0)
        {
            if (tensor.RawData.Length != count * 4) return false;
            values = new float[count];
            var bytes = tensor.RawData.Span;
            if (BitConverter.IsLittleEndian) bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            else for (int i = 0; i < values.Length; i++) values[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
            return true;
        }

        if (tensor.FloatData.Count != count) return false;
        values = [.. tensor.FloatData];
        return true;
    }

    // ---- operator facts ---------------------------------------------------------------------------------------

    private bool IsFloat(string value) => value.Length > 0 && _types.TryGetValue(value, out int type) && type == F32;

    private bool ReadsOrWritesNonTensors(NodeProto node)
    {
        foreach (string v in node.Input)
        {
            if (v.Length > 0 && _types.TryGetValue(v, out int t) && t == ElementTypeInference.NotATensor) return true;
        }
        foreach (string v in node.Output)
        {
            if (v.Length > 0 && _types.TryGetValue(v, out int t) && t == ElementTypeInference.NotATensor) return true;
        }
        return false;
    }

    private static bool IsConvertibleDomain(string domain) => domain is "" or "ai.onnx" or "com.microsoft";

    private static bool IsConstant(NodeProto node) => node.OpType == "Constant" && node.Domain is "" or "ai.onnx";

    private static bool HasSubgraphs(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            if (a.G is not null || a.Graphs.Count > 0) return true;
        }
        return false;
    }

    private static Slot SlotKind(NodeProto node, int input)
    {
        if (node.Domain.Length != 0 && node.Domain != "ai.onnx") return Slot.Typed;
        return (node.OpType, input) switch
        {
            ("Shape" or "Size" or "Cast" or "CastLike", 0) => Slot.Any,
            ("Resize", 2) or ("Upsample", 1) => Slot.Float32Only,
            _ => Slot.Typed,
        };
    }

    /// <summary>Outputs that are float32 by definition even when the node computes in float16 (normalization statistics).</summary>
    private static bool KeepsFloat32Output(NodeProto node, int output) => node.OpType switch
    {
        "LayerNormalization" or "SimplifiedLayerNormalization" => output >= 1,
        "SkipLayerNormalization" or "SkipSimplifiedLayerNormalization" => output is 1 or 2,
        "DynamicQuantizeLinear" => output == 1,
        _ => false,
    };
}
