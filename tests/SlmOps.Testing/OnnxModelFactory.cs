using Google.Protobuf;
using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Testing;

/// <summary>What <see cref="OnnxModelFactory.CreateLinear"/> builds.</summary>
public sealed class LinearModelOptions
{
    public long IrVersion { get; init; } = 8;

    public long Opset { get; init; } = 17;

    public string InputName { get; init; } = "x";

    public string OutputName { get; init; } = "y";

    /// <summary>The symbolic first dimension of input and output.</summary>
    public string BatchDim { get; init; } = "batch";

    /// <summary>List the initializers among the graph inputs too, as IR 3 exporters did.</summary>
    public bool ListInitializersAsInputs { get; init; }

    /// <summary>Add an If node whose branches hold a Constant node with a float tensor attribute ("then_value"/"else_value").</summary>
    public bool AddIfSubgraph { get; init; }
}

/// <summary>
/// Small, valid ONNX models built in code: <c>y = x · W + B</c> with <c>x: float[batch, 4]</c>, <c>W: float[4, 3]</c>
/// (<c>raw_data</c>), <c>B: float[3]</c> (<c>float_data</c>), <c>y: float[batch, 3]</c>.
/// </summary>
public static class OnnxModelFactory
{
    public const int InFeatures = 4;
    public const int OutFeatures = 3;

    public static readonly float[] Weights = Enumerable.Range(0, InFeatures * OutFeatures).Select(i => i * 0.25f - 1f).ToArray();
    public static readonly float[] Bias = [0.5f, -0.5f, 1.5f];

    public static ModelProto CreateLinear(LinearModelOptions? options = null)
    {
        options ??= new LinearModelOptions();
        var graph = new GraphProto { Name = "linear" };
        graph.Input.Add(TensorValue(options.InputName, DataType.Float, options.BatchDim, InFeatures));
        graph.Output.Add(TensorValue(options.OutputName, DataType.Float, options.BatchDim, OutFeatures));

        var w = new TensorProto { Name = "W", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(FloatBytes(Weights)) };
        w.Dims.Add([InFeatures, OutFeatures]);
        var b = new TensorProto { Name = "B", DataType = (int)DataType.Float };
        b.Dims.Add(OutFeatures);
        b.FloatData.Add(Bias);
        graph.Initializer.Add([w, b]);
        if (options.ListInitializersAsInputs)
        {
            graph.Input.Add(TensorValue("W", DataType.Float, InFeatures, OutFeatures));
            graph.Input.Add(TensorValue("B", DataType.Float, OutFeatures));
        }

        graph.Node.Add(Node("MatMul", "matmul", [options.InputName, "W"], ["xw"]));
        string addOutput = options.AddIfSubgraph ? "sum" : options.OutputName;
        graph.Node.Add(Node("Add", "add", ["xw", "B"], [addOutput]));

        if (options.AddIfSubgraph)
        {
            // y = sum + (cond ? then_value : else_value), with cond a constant true.
            var cond = new TensorProto { Name = "cond_value", DataType = (int)DataType.Bool };
            cond.Int32Data.Add(1);
            graph.Node.Add(ConstantNode("cond", cond));
            var ifNode = Node("If", "if", ["cond"], ["offset"]);
            ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = ConstantBranch("then", 1f) });
            ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = ConstantBranch("else", -1f) });
            graph.Node.Add(ifNode);
            graph.Node.Add(Node("Add", "add_offset", ["sum", "offset"], [options.OutputName]));
        }

        var model = new ModelProto
        {
            IrVersion = options.IrVersion,
            ProducerName = "SlmOps.Testing",
            ProducerVersion = "1.0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        return model;
    }

    /// <summary>
    /// <c>y = x · W + B</c> with <c>x: float[batch, inFeatures]</c> and weights uniform in [-1, 1) from
    /// <paramref name="seed"/> (none exact in fp16): big enough that quantizing it makes it smaller.
    /// </summary>
    public static ModelProto CreateDense(int inFeatures, int outFeatures, int seed = 1)
    {
        var random = new Random(seed);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var graph = new GraphProto { Name = "dense" };
        graph.Input.Add(TensorValue("x", DataType.Float, "batch", inFeatures));
        graph.Output.Add(TensorValue("y", DataType.Float, "batch", outFeatures));
        graph.Initializer.Add([FloatTensor("W", Values(inFeatures * outFeatures), inFeatures, outFeatures), FloatTensor("B", Values(outFeatures), outFeatures)]);
        graph.Node.Add(Node("MatMul", "matmul", ["x", "W"], ["xw"]));
        graph.Node.Add(Node("Add", "add", ["xw", "B"], ["y"]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "SlmOps.Testing", ProducerVersion = "1.0", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    /// <summary>Writes <paramref name="model"/> (default: <see cref="CreateLinear"/>) into <paramref name="directory"/> and returns the path.</summary>
    public static string Write(string directory, string fileName = "model.onnx", ModelProto? model = null)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, (model ?? CreateLinear()).ToByteArray());
        return path;
    }

    /// <summary>
    /// Writes the linear model with its initializers as external data split across two files:
    /// <c>W</c> in <c>weights/w.bin</c> (48 bytes at offset 0) and <c>B</c> in <c>b.bin</c> (12 bytes at offset 16, after padding).
    /// <paramref name="mutate"/> can break the model before it is written.
    /// </summary>
    public static string WriteWithExternalData(string directory, string fileName = "model.onnx", Action<ModelProto>? mutate = null)
    {
        var model = CreateLinear();
        var w = model.Graph.Initializer.Single(t => t.Name == "W");
        var b = model.Graph.Initializer.Single(t => t.Name == "B");

        Directory.CreateDirectory(Path.Combine(directory, "weights"));
        File.WriteAllBytes(Path.Combine(directory, "weights", "w.bin"), FloatBytes(Weights));
        File.WriteAllBytes(Path.Combine(directory, "b.bin"), [.. new byte[16], .. FloatBytes(Bias)]);

        MakeExternal(w, "weights/w.bin", 0, Weights.Length * 4);
        b.FloatData.Clear();
        MakeExternal(b, "b.bin", 16, Bias.Length * 4);

        mutate?.Invoke(model);
        return Write(directory, fileName, model);
    }

    /// <summary>Moves a tensor's payload reference to an external file (the bytes are not written).</summary>
    public static void MakeExternal(TensorProto tensor, string location, long offset, long? length)
    {
        tensor.ClearRawData();
        tensor.ExternalData.Clear();
        tensor.DataLocation = DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (length is long l)
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>A tensor graph value; each dim is an int (fixed) or a string (symbolic).</summary>
    public static ValueInfoProto TensorValue(string name, DataType elementType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                int v => new TensorShapeProto.Types.Dimension { DimValue = v },
                long v => new TensorShapeProto.Types.Dimension { DimValue = v },
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => new TensorShapeProto.Types.Dimension(),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }

    public static NodeProto Node(string opType, string name, string[] inputs, string[] outputs, string domain = "")
    {
        var node = new NodeProto { OpType = opType, Name = name, Domain = domain };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        return node;
    }

    /// <summary>A float initializer with its values as <c>raw_data</c>.</summary>
    public static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(FloatBytes(values)) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    public static byte[] FloatBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    private static NodeProto ConstantNode(string output, TensorProto value)
    {
        var node = Node("Constant", output, [], [output]);
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });
        return node;
    }

    private static GraphProto ConstantBranch(string name, float value)
    {
        var tensor = new TensorProto { Name = name + "_value", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(FloatBytes([value])) };
        var branch = new GraphProto { Name = name };
        branch.Node.Add(ConstantNode(name + "_out", tensor));
        branch.Output.Add(TensorValue(name + "_out", DataType.Float));
        return branch;
    }
}
