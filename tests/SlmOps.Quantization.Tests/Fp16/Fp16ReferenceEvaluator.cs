using System.Runtime.InteropServices;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Fp16;

namespace SlmOps.Quantization.Tests.Fp16;

/// <summary>
/// A tiny ONNX interpreter that stores every float16 value as float16, the way a GPU runs a float16 graph.
/// ONNX Runtime's CPU provider cannot show float16 overflow: it has no float16 kernels for most operators and runs
/// whole float16 regions in float32 (InsertCastTransformer), so a graph that overflows on a GPU looks fine there.
/// Each operator computes in float32 and rounds its result when the output is float16 (an overflow becomes ±Inf).
/// Supports the elementwise operators (numpy broadcasting), ReduceMean with an <c>axes</c> attribute, Cast,
/// Identity and Constant: enough for normalization graphs.
/// </summary>
internal static class Fp16ReferenceEvaluator
{
    private sealed record Tensor(float[] Data, int[] Shape);

    public static float[] Run(ModelProto model, string inputName, float[] input, int[] shape, string outputName)
    {
        var graph = model.Graph;
        var types = ElementTypeInference.Infer(graph);
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        values[inputName] = Round(new Tensor(input, shape), types[inputName]);
        foreach (var t in graph.Initializer) values[t.Name] = Read(t);

        foreach (var node in graph.Node)
        {
            Tensor In(int i) => values[node.Input[i]];
            Tensor result = node.OpType switch
            {
                "Add" => Binary(In(0), In(1), (a, b) => a + b),
                "Sub" => Binary(In(0), In(1), (a, b) => a - b),
                "Mul" => Binary(In(0), In(1), (a, b) => a * b),
                "Div" => Binary(In(0), In(1), (a, b) => a / b),
                "Pow" => Binary(In(0), In(1), MathF.Pow),
                "Sqrt" => new Tensor([.. In(0).Data.Select(MathF.Sqrt)], In(0).Shape),
                "Relu" => new Tensor([.. In(0).Data.Select(v => Math.Max(v, 0f))], In(0).Shape),
                "Cast" or "Identity" => In(0),
                "Constant" => Read(node.Attribute.Single(a => a.Name == "value").T),
                "ReduceMean" => ReduceMeanLastAxis(In(0), node),
                _ => throw new NotSupportedException(node.OpType),
            };
            values[node.Output[0]] = Round(result, types[node.Output[0]]);
        }
        return values[outputName].Data;
    }

    private static Tensor Round(Tensor t, int type) =>
        type == Fp16TestSupport.F16 ? new Tensor([.. t.Data.Select(v => (float)(Half)v)], t.Shape) : t;

    private static Tensor Read(TensorProto t)
    {
        int[] shape = [.. t.Dims.Select(d => (int)d)];
        float[] data = t.DataType switch
        {
            Fp16TestSupport.F32 when t.RawData.Length > 0 => MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray(),
            Fp16TestSupport.F32 => [.. t.FloatData],
            Fp16TestSupport.F16 => [.. MemoryMarshal.Cast<byte, Half>(t.RawData.Span).ToArray().Select(h => (float)h)],
            _ => throw new NotSupportedException("data type " + t.DataType),
        };
        return new Tensor(data, shape);
    }

    private static Tensor ReduceMeanLastAxis(Tensor x, NodeProto node)
    {
        var axes = node.Attribute.Single(a => a.Name == "axes").Ints;
        if (axes.Count != 1 || (axes[0] != -1 && axes[0] != x.Shape.Length - 1))
            throw new NotSupportedException("ReduceMean over the last axis only");
        int width = x.Shape[^1];
        int rows = x.Data.Length / width;
        var data = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            float sum = 0; // float32 accumulation, as float16 kernels do
            for (int c = 0; c < width; c++) sum += x.Data[r * width + c];
            data[r] = sum / width;
        }
        return new Tensor(data, [.. x.Shape[..^1], 1]);
    }

    private static Tensor Binary(Tensor a, Tensor b, Func<float, float, float> op)
    {
        int rank = Math.Max(a.Shape.Length, b.Shape.Length);
        int[] sa = Pad(a.Shape, rank), sb = Pad(b.Shape, rank);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (sa[i] != sb[i] && sa[i] != 1 && sb[i] != 1) throw new ArgumentException("shapes do not broadcast");
            shape[i] = Math.Max(sa[i], sb[i]);
        }

        int count = shape.Aggregate(1, (x, y) => x * y);
        var data = new float[count];
        var index = new int[rank];
        for (int flat = 0; flat < count; flat++)
        {
            int rest = flat;
            for (int i = rank - 1; i >= 0; i--)
            {
                index[i] = rest % shape[i];
                rest /= shape[i];
            }
            data[flat] = op(a.Data[Offset(index, sa)], b.Data[Offset(index, sb)]);
        }
        return new Tensor(data, shape);
    }

    private static int[] Pad(int[] shape, int rank) => [.. Enumerable.Repeat(1, rank - shape.Length), .. shape];

    private static int Offset(int[] index, int[] shape)
    {
        int offset = 0;
        for (int i = 0; i < shape.Length; i++) offset = offset * shape[i] + (shape[i] == 1 ? 0 : index[i]);
        return offset;
    }
}
