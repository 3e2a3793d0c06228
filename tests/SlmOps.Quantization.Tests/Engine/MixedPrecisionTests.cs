using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Tests.Kernels;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Tests.Engine;

/// <summary>
/// Mixed int4/int8 models (<see cref="QuantizationOptions.Int8Layers"/>) and the layer list and error proxy that
/// <c>Precision="auto"</c> ranks them with (<see cref="MixedPrecision"/>), on a model built here and run by ONNX Runtime.
/// </summary>
public sealed class MixedPrecisionTests : IDisposable
{
    private const int Vocabulary = 50, Width = 64, Hidden = 32, Out = 16;
    private static readonly long[] Ids = [0, 7, 49, 7, 23, 11];
    private readonly TempDirectory _temp = new("slmops-mixed");

    public void Dispose() => _temp.Dispose();

    /// <summary>y = Gather(table, ids) · W1 · W2: an embedding table and two MatMuls.</summary>
    private string Source()
    {
        var random = new Random(11);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var graph = new GraphProto { Name = "mixed" };
        var ids = new ValueInfoProto { Name = "ids", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Int64, Shape = new TensorShapeProto() } } };
        ids.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "n" });
        graph.Input.Add(ids);
        graph.Output.Add(OnnxModelFactory.TensorValue("y", DataType.Float, "n", Out));
        graph.Initializer.Add([OnnxModelFactory.FloatTensor("table", Values(Vocabulary * Width), Vocabulary, Width), OnnxModelFactory.FloatTensor("W1", Values(Width * Hidden), Width, Hidden), OnnxModelFactory.FloatTensor("W2", Values(Hidden * Out), Hidden, Out)]);
        graph.Node.Add(OnnxModelFactory.Node("Gather", "embed", ["table", "ids"], ["e"]));
        graph.Node.Add(OnnxModelFactory.Node("MatMul", "mm1", ["e", "W1"], ["h"]));
        graph.Node.Add(OnnxModelFactory.Node("MatMul", "mm2", ["h", "W2"], ["y"]));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        string path = _temp.Combine("source.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static float[] Run(string path)
    {
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(Ids, [Ids.Length]);
        using var outputs = session.Run(new RunOptions(), ["ids"], [input], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static Dictionary<string, long> BitsByNode(string path) =>
        OnnxModelLoader.Load(path).Proto.Graph.Node.ToDictionary(n => n.Name, n => n.Attribute.Single(a => a.Name == "bits").I);

    private static readonly QuantizationOptions Int4 = new() { Precision = Precision.Int4, QuantizeEmbeddings = true };

    [Fact]
    public void Int8Layers_keeps_the_named_MatMuls_and_tables_at_8_bits_and_the_mix_lies_between_int4_and_int8_in_size_and_error()
    {
        string source = Source();
        string Quantize(string name, QuantizationOptions options)
        {
            string path = _temp.Combine(name + ".onnx");
            ModelQuantizer.Quantize(source, path, options);
            return path;
        }

        string int4 = Quantize("int4", Int4);
        string mixed = Quantize("mixed", Int4 with { Int8Layers = ["table", "mm2"] });
        string int8 = Quantize("int8", Int4 with { Precision = Precision.Int8Weight });

        Assert.Equal(new Dictionary<string, long> { ["embed"] = 4, ["mm1"] = 4, ["mm2"] = 4 }, BitsByNode(int4));
        // Matched by weight name (the table) or node name (mm2).
        Assert.Equal(new Dictionary<string, long> { ["embed"] = 8, ["mm1"] = 4, ["mm2"] = 8 }, BitsByNode(mixed));
        long[] sizes = [new FileInfo(int4).Length, new FileInfo(mixed).Length, new FileInfo(int8).Length];
        Assert.True(sizes[0] < sizes[1] && sizes[1] < sizes[2], string.Join(" < ", sizes));

        float[] expected = Run(source);
        double[] errors = [KernelModels.RelativeError(expected, Run(int4)), KernelModels.RelativeError(expected, Run(mixed)), KernelModels.RelativeError(expected, Run(int8))];
        Assert.True(errors[0] > errors[1] && errors[1] > errors[2], string.Join(" > ", errors));
    }

    [Fact]
    public void An_Int8Layers_pattern_that_matches_nothing_leaves_every_layer_at_4_bits()
    {
        string source = Source();
        string path = _temp.Combine("v.onnx");

        ModelQuantizer.Quantize(source, path, Int4 with { Int8Layers = ["no-such-layer"] });

        Assert.All(BitsByNode(path).Values, bits => Assert.Equal(4, bits));
    }

    [Fact]
    public void Layers_lists_every_weight_int4_rewrites_with_its_shape_and_the_tables_only_with_QuantizeEmbeddings()
    {
        using var source = OnnxModelLoader.Load(Source());

        var layers = MixedPrecision.Layers(source, Int4);

        Assert.Equal(
            [new QuantizableLayer("W1", "mm1", "e", Width, Hidden, false), new QuantizableLayer("W2", "mm2", "h", Hidden, Out, false), new QuantizableLayer("table", "embed", null, Width, Vocabulary, true)],
            layers);
        Assert.True(layers[2].IsEmbedding);
        Assert.Equal(["W1", "W2"], MixedPrecision.Layers(source, Int4 with { QuantizeEmbeddings = false }).Select(l => l.Weight));
        // 4 bits: 32 packed bytes per 64-value row, plus one float scale per block of 32.
        Assert.Equal(Vocabulary * (Width / 2 + 2 * 4), layers[2].BytesAt(4, Int4));
        Assert.Equal(Vocabulary * (Width + 2 * 4), layers[2].BytesAt(8, Int4));
    }

    [Fact]
    public void RelativeError_is_smaller_at_8_bits_and_weighs_the_input_channels_by_their_energy()
    {
        using var source = OnnxModelLoader.Load(Source());
        var w1 = MixedPrecision.Layers(source, Int4)[0];

        double at4 = MixedPrecision.RelativeError(source, w1, 4, Int4, []);
        double at8 = MixedPrecision.RelativeError(source, w1, 8, Int4, []);

        Assert.InRange(at4, 1e-4, 0.05);
        Assert.InRange(at8, 1e-7, at4 / 100);
        Assert.Equal(at4, MixedPrecision.RelativeError(source, w1, 4, Int4, Enumerable.Repeat(3f, Width).ToArray()), 12);
        // All energy on one input channel: the error is that row's alone, which differs from the average.
        var one = new float[Width];
        one[5] = 1;
        Assert.NotEqual(at4, MixedPrecision.RelativeError(source, w1, 4, Int4, one), 6);
        var ex = Assert.Throws<ArgumentException>(() => MixedPrecision.RelativeError(source, w1, 4, Int4, new float[3]));
        Assert.Contains("'W1' has 64 input channels, but 3 energies", ex.Message, StringComparison.Ordinal);
    }
}
