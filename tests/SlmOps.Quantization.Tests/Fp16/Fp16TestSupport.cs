using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Fp16;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Tests.Fp16;

/// <summary>A model input for <see cref="Fp16TestSupport.Run"/>: float32, int64 or float16 (as Half) data with a shape.</summary>
internal sealed record ModelInput(string Name, Array Data, long[] Shape);

/// <summary>Builds small graphs, does the payload half of the fp16 conversion (the engine's job), runs models in ONNX Runtime.</summary>
internal static class Fp16TestSupport
{
    public const int F32 = (int)DataType.Float;
    public const int F16 = (int)DataType.Float16;

    // ---- building ---------------------------------------------------------------------------------------------

    public static ModelProto NewModel(GraphProto graph, long opset = 13)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "SlmOps.Quantization.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static NodeProto Node(string opType, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        return node;
    }

    public static AttributeProto IntAttr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto IntsAttr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    public static AttributeProto TensorAttr(string name, TensorProto tensor) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = tensor };

    /// <summary>A float32 tensor with raw_data (or float_data when <paramref name="floatData"/>).</summary>
    public static TensorProto FloatTensor(string name, float[] values, long[] dims, bool floatData = false)
    {
        var t = new TensorProto { Name = name, DataType = F32 };
        t.Dims.Add(dims);
        if (floatData) t.FloatData.Add(values);
        else t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    public static TensorProto Int64Tensor(string name, long[] values, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        t.Dims.Add(dims);
        t.Int64Data.Add(values);
        return t;
    }

    public static ValueInfoProto Value(string name, DataType type, params object[] dims) =>
        SlmOps.Testing.OnnxModelFactory.TensorValue(name, type, dims);

    /// <summary>Deterministic pseudo-random values in [-scale, scale].</summary>
    public static float[] Values(int count, float scale, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    // ---- the engine's half: initializer payloads --------------------------------------------------------------

    /// <summary>
    /// Converts the payloads of the initializers the pass listed (it changed only their data_type): float32 values,
    /// clamped to the float16 range, written as float16 raw_data.
    /// </summary>
    public static void ConvertInitializerPayloads(ModelProto model, Fp16Result result)
    {
        var byName = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (string name in result.ConvertedInitializers)
        {
            var tensor = byName[name];
            Assert.Equal(F16, tensor.DataType);
            float[] values = tensor.RawData.Length > 0
                ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray()
                : [.. tensor.FloatData];
            TensorPrimitives.Clamp(values, -Fp16Narrowing.MaxFinite, Fp16Narrowing.MaxFinite, values);
            var halves = new Half[values.Length];
            TensorPrimitives.ConvertToHalf(values, halves);
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(halves.AsSpan()));
            tensor.FloatData.Clear();
        }
    }

    /// <summary>Clones <paramref name="model"/>, converts it and its payloads; returns the fp16 model and the pass result.</summary>
    public static (ModelProto Model, Fp16Result Result) ConvertFully(ModelProto model, Fp16Options? options = null, Func<NodeProto, bool>? selected = null)
    {
        var copy = model.Clone();
        var result = Fp16Converter.Convert(copy, options ?? Fp16Options.Default, selected);
        ConvertInitializerPayloads(copy, result);
        return (copy, result);
    }

    // ---- running ----------------------------------------------------------------------------------------------

    public static SessionOptions QuietOptions(GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL) =>
        new() { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, GraphOptimizationLevel = level };

    /// <summary>Runs a model and returns every output as float32 (float16 outputs are widened; their type is reported).</summary>
    public static Dictionary<string, (float[] Values, TensorElementType Type)> Run(ModelProto model, params ModelInput[] inputs) =>
        Run(model, GraphOptimizationLevel.ORT_ENABLE_ALL, inputs);

    /// <summary>Runs a model with the given graph optimization level.</summary>
    public static Dictionary<string, (float[] Values, TensorElementType Type)> Run(ModelProto model, GraphOptimizationLevel level, params ModelInput[] inputs)
    {
        using var options = QuietOptions(level);
        using var session = new InferenceSession(model.ToByteArray(), options);
        return Run(session, inputs);
    }

    public static Dictionary<string, (float[] Values, TensorElementType Type)> Run(InferenceSession session, params ModelInput[] inputs)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (var input in inputs) values.Add(CreateValue(input));
            var outputNames = session.OutputNames.ToList();
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, outputNames);
            var result = new Dictionary<string, (float[], TensorElementType)>(StringComparer.Ordinal);
            for (int i = 0; i < outputNames.Count; i++)
            {
                var output = outputs[i];
                var type = output.GetTensorTypeAndShape().ElementDataType;
                float[] data = type switch
                {
                    TensorElementType.Float => output.GetTensorDataAsSpan<float>().ToArray(),
                    TensorElementType.Float16 => [.. MemoryMarshal.Cast<byte, Half>(output.GetTensorMutableRawData()).ToArray().Select(h => (float)h)],
                    TensorElementType.Int64 => [.. output.GetTensorDataAsSpan<long>().ToArray().Select(v => (float)v)],
                    _ => throw new InvalidOperationException($"Output {outputNames[i]} is {type}."),
                };
                result[outputNames[i]] = (data, type);
            }
            return result;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    private static OrtValue CreateValue(ModelInput input) => input.Data switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, input.Shape),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, input.Shape),
        Half[] h => CreateHalfValue(h, input.Shape),
        _ => throw new ArgumentException("Unsupported input data " + input.Data.GetType()),
    };

    private static OrtValue CreateHalfValue(Half[] data, long[] shape)
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float16, shape);
        MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(value.GetTensorMutableRawData());
        return value;
    }

    // ---- checking ---------------------------------------------------------------------------------------------

    /// <summary>Asserts every value is finite and within <c>atol + rtol·|expected|</c> of the reference.</summary>
    public static void AssertClose(float[] expected, float[] actual, float rtol = 1e-2f, float atol = 1e-2f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"value {i} is {actual[i]} (expected {expected[i]})");
            float tolerance = atol + rtol * Math.Abs(expected[i]);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
        }
    }

    /// <summary>The largest |expected − actual| / (atol + rtol·|expected|); above 1 means not close (non-finite → +∞).</summary>
    public static double WorstError(float[] expected, float[] actual, float rtol = 1e-2f, float atol = 1e-2f)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!float.IsFinite(actual[i])) return double.PositiveInfinity;
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / (atol + rtol * Math.Abs(expected[i])));
        }
        return worst;
    }

    public static int CountCasts(ModelProto model, int to) =>
        model.Graph.Node.Count(n => n.OpType == "Cast" && n.Attribute.Single(a => a.Name == "to").I == to);

    public static NodeProto NodeNamed(ModelProto model, string name) => model.Graph.Node.Single(n => n.Name == name);

    /// <summary>Asserts the node list is topologically ordered and every value has exactly one producer.</summary>
    public static void AssertTopologicallySorted(ModelProto model)
    {
        var graph = model.Graph;
        var known = new HashSet<string>(StringComparer.Ordinal) { "" };
        foreach (var v in graph.Input) known.Add(v.Name);
        foreach (var t in graph.Initializer) known.Add(t.Name);
        foreach (var node in graph.Node)
        {
            foreach (string input in node.Input) Assert.True(known.Contains(input), $"node {node.Name} reads {input} before it is produced");
            foreach (string output in node.Output) Assert.True(known.Add(output), $"{output} is produced twice");
        }
        foreach (var output in graph.Output) Assert.Contains(output.Name, known);
        Assert.Equal(graph.Node.Count, graph.Node.Select(n => n.Name).Distinct().Count());
    }
}
