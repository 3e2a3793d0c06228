using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Tests.Kernels;

/// <summary>Single-purpose ONNX models around quantized weights, run in ONNX Runtime on the CPU, and their float references.</summary>
internal static class KernelModels
{
    /// <summary>‖expected − actual‖ / ‖expected‖ over all elements.</summary>
    public static double RelativeError(float[] expected, float[] actual)
    {
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            num += Math.Pow(expected[i] - actual[i], 2);
            den += Math.Pow(expected[i], 2);
        }
        return Math.Sqrt(num / den);
    }

    /// <summary>A model with opsets "" 13 and com.microsoft 1, one float input A [m, k] and one float output Y [m, n].</summary>
    public static ModelProto Model(int m, int k, int n, IEnumerable<TensorProto> initializers, params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "kernel" };
        graph.Input.Add(OnnxModelFactory.TensorValue("A", DataType.Float, m, k));
        graph.Output.Add(OnnxModelFactory.TensorValue("Y", DataType.Float, m, n));
        graph.Initializer.Add(initializers);
        graph.Node.Add(nodes);

        var model = new ModelProto { IrVersion = 8, ProducerName = "SlmOps.Quantization.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return model;
    }

    public static NodeProto Node(string opType, string[] inputs, string[] outputs, string domain = "", params AttributeProto[] attributes)
    {
        var node = OnnxModelFactory.Node(opType, opType.ToLowerInvariant() + "_" + outputs[0], inputs, outputs, domain);
        node.Attribute.Add(attributes);
        return node;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static TensorProto Bytes(string name, byte[] values, DataType type, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(values) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    public static TensorProto Floats(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    /// <summary>Saves <paramref name="model"/> to a temporary folder and runs it on the CPU with A = <paramref name="a"/>; returns Y.</summary>
    public static float[] Run(ModelProto model, float[] a, int m, int k, GraphOptimizationLevel optimization = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var folder = new TempDirectory("slmops-kernels");
        string path = folder.Combine("model.onnx");
        using (var stream = File.Create(path))
            model.WriteTo(stream);

        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, GraphOptimizationLevel = optimization };
        using var session = new InferenceSession(path, options);
        using var input = OrtValue.CreateTensorValueFromMemory(a, [m, k]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["A"], [input], ["Y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// Asserts <paramref name="actual"/> matches A [m, k] · B [k, n] computed in double, each output within
    /// <paramref name="relative"/> of the sum of the magnitudes of its products (a relative tolerance that
    /// cancellation cannot defeat).
    /// </summary>
    public static void AssertMatMul(float[] a, float[] b, int m, int k, int n, float[] actual, double relative = 1e-4)
    {
        Assert.Equal(m * n, actual.Length);
        for (int row = 0; row < m; row++)
        {
            for (int column = 0; column < n; column++)
            {
                double sum = 0, magnitude = 0;
                for (int i = 0; i < k; i++)
                {
                    double product = (double)a[row * k + i] * b[i * n + column];
                    sum += product;
                    magnitude += Math.Abs(product);
                }

                float y = actual[row * n + column];
                double tolerance = relative * magnitude + 1e-6;
                if (!(Math.Abs(y - sum) <= tolerance))
                    Assert.Fail($"Y[{row}, {column}] = {y:R}; the reference is {sum:R} (tolerance {tolerance:R}).");
            }
        }
    }
}
