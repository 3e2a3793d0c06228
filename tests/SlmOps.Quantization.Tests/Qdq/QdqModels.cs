using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SlmOps.Validation;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Tests.Qdq;

/// <summary>The small models and sample inputs of the static QDQ tests.</summary>
internal static class QdqModels
{
    public const int K = 96, N = 40;

    /// <summary>
    /// y = relu(x · W1 + b) · W2ᵀ + c (MatMul, Add, Relu, Gemm with transB) and z = y · yᵀ (a MatMul with a computed B,
    /// which is left alone); <paramref name="shared"/> adds h2 = x · W1, a second reader of x and W1.
    /// </summary>
    public static ModelProto Build(long opset = 17, bool shared = false)
    {
        var random = new Random(7);
        var w1 = Enumerable.Range(0, K * N).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var w2 = Enumerable.Range(0, N * N).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var bias = Enumerable.Range(0, N).Select(i => i * 0.01f).ToArray();

        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(OnnxModelFactory.TensorValue("x", DataType.Float, "batch", K));
        graph.Output.Add(OnnxModelFactory.TensorValue("y", DataType.Float, "batch", N));
        graph.Output.Add(OnnxModelFactory.TensorValue("z", DataType.Float, "batch", "batch"));
        graph.Initializer.Add(Tensor("W1", w1, K, N));
        graph.Initializer.Add(Tensor("W2", w2, N, N));
        graph.Initializer.Add(Tensor("b", bias, N));
        graph.Initializer.Add(Tensor("c", bias, N));
        graph.Node.Add(OnnxModelFactory.Node("MatMul", "mm1", ["x", "W1"], ["h"]));
        graph.Node.Add(OnnxModelFactory.Node("Add", "add", ["h", "b"], ["hb"]));
        graph.Node.Add(OnnxModelFactory.Node("Relu", "relu", ["hb"], ["r"]));
        var gemm = OnnxModelFactory.Node("Gemm", "gemm", ["r", "W2", "c"], ["y"]);
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        graph.Node.Add(OnnxModelFactory.Node("Transpose", "t", ["y"], ["yt"]));
        graph.Node.Add(OnnxModelFactory.Node("MatMul", "mm_dynamic", ["y", "yt"], ["z"]));
        if (shared)
        {
            graph.Node.Add(OnnxModelFactory.Node("MatMul", "mm_shared", ["x", "W1"], ["h2"]));
            graph.Output.Add(OnnxModelFactory.TensorValue("h2", DataType.Float, "batch", N));
        }

        var model = new ModelProto { IrVersion = opset >= 21 ? 10 : 8, Graph = graph, ProducerName = "test" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static string Write(TempDirectory temp, ModelProto model, string name = "model.onnx")
    {
        string path = temp.Combine(name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    /// <summary>x [rows, K] with values uniform in [-1, 1).</summary>
    public static float[] Input(int seed, int rows = 4)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * K).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    public static IReadOnlyDictionary<string, CalibrationInput> Feed(float[] x) =>
        new Dictionary<string, CalibrationInput> { ["x"] = CalibrationInput.Float(x, x.Length / K, K) };

    /// <summary><paramref name="count"/> calibration samples, seeds 100, 101, ...</summary>
    public static List<IReadOnlyDictionary<string, CalibrationInput>> Feeds(int count = 8) =>
        Enumerable.Range(0, count).Select(i => Feed(Input(100 + i))).ToList();

    public static float[] Run(string path, float[] x, string output = "y")
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        var input = NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [x.Length / K, K]));
        using var results = session.Run([input], [output]);
        return results[0].AsTensor<float>().ToArray();
    }

    private static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(OnnxModelFactory.FloatBytes(values)) };
        t.Dims.Add(dims);
        return t;
    }
}
