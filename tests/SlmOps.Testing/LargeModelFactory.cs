using System.Globalization;
using Google.Protobuf;
using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Testing;

/// <summary>
/// Writes big float models with external data without holding them in memory: <c>y = Σ x · W_i</c> with
/// <paramref name="tensors"/> weights of [k, n], values from a fixed-seed generator scaled by 1/√k (so outputs stay
/// near 1 and no layer compounds another's error). 16 × 8192 × 8192 gives a 4.3 GB model.
/// </summary>
public static class LargeModelFactory
{
    public static string Write(string directory, int tensors, int k, int n, string fileName = "large.onnx")
    {
        Directory.CreateDirectory(directory);
        string dataName = fileName + ".data";
        var graph = new GraphProto { Name = "large" };
        graph.Input.Add(Value("x", k));
        graph.Output.Add(Value("y", n));

        long offset = 0;
        float scale = 1f / MathF.Sqrt(k);
        using (var data = new FileStream(Path.Combine(directory, dataName), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var row = new float[n];
            var bytes = new byte[n * 4];
            uint state = 2463534242;
            for (int t = 0; t < tensors; t++)
            {
                for (int r = 0; r < k; r++)
                {
                    for (int c = 0; c < n; c++)
                    {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        row[c] = ((state >> 8) * (1f / (1 << 24)) * 2 - 1) * scale;
                    }
                    Buffer.BlockCopy(row, 0, bytes, 0, bytes.Length);
                    data.Write(bytes);
                }

                long length = (long)k * n * 4;
                var weight = new TensorProto { Name = $"W{t}", DataType = (int)DataType.Float, DataLocation = DataLocation.External };
                weight.Dims.Add([k, n]);
                weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                weight.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
                weight.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(CultureInfo.InvariantCulture) });
                graph.Initializer.Add(weight);
                offset += length;

                var matmul = new NodeProto { OpType = "MatMul", Name = $"matmul{t}" };
                matmul.Input.Add(["x", $"W{t}"]);
                matmul.Output.Add(tensors == 1 ? "y" : $"p{t}");
                graph.Node.Add(matmul);
            }
        }

        if (tensors > 1)
        {
            var sum = new NodeProto { OpType = "Sum", Name = "sum" };
            sum.Input.Add(Enumerable.Range(0, tensors).Select(t => $"p{t}"));
            sum.Output.Add("y");
            graph.Node.Add(sum);
        }

        var model = new ModelProto { IrVersion = 8, ProducerName = "SlmOps.Testing", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        string path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static ValueInfoProto Value(string name, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = shape } } };
    }
}
