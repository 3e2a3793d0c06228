using Google.Protobuf;

namespace SlmOps.Runtime.Tests;

/// <summary>
/// Writes minimal ONNX models (IR 7, opset 13) straight as protobuf, one node each. Field numbers are those of
/// onnx.proto: ModelProto ir_version=1, graph=7, opset_import=8; GraphProto node=1, name=2, input=11, output=12;
/// NodeProto input=1, output=2, op_type=4; ValueInfoProto name=1, type=2; TypeProto tensor_type=1;
/// TypeProto.Tensor elem_type=1, shape=2; TensorShapeProto dim=1; Dimension dim_value=1, dim_param=2.
/// </summary>
internal static class TinyOnnx
{
    /// <summary>TensorProto.DataType values.</summary>
    public static class OnnxType
    {
        public const int Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9, Float16 = 10, Double = 11;
    }

    /// <summary>A tensor declaration; a dimension is a long (fixed size) or a string (symbolic name).</summary>
    public sealed record Value(string Name, int ElementType, params object[] Shape);

    /// <summary>A model with one node <paramref name="opType"/> from <paramref name="inputs"/> to <paramref name="outputs"/>.</summary>
    public static byte[] SingleNode(string opType, Value[] inputs, Value[] outputs)
    {
        byte[] node = Message(w =>
        {
            foreach (var i in inputs) String(w, 1, i.Name);
            foreach (var o in outputs) String(w, 2, o.Name);
            String(w, 4, opType);
        });
        byte[] graph = Message(w =>
        {
            Bytes(w, 1, node);
            String(w, 2, "tiny");
            foreach (var i in inputs) Bytes(w, 11, ValueInfo(i));
            foreach (var o in outputs) Bytes(w, 12, ValueInfo(o));
        });
        byte[] opset = Message(w => Int(w, 2, 13));
        return Message(w =>
        {
            Int(w, 1, 7);
            Bytes(w, 7, graph);
            Bytes(w, 8, opset);
        });
    }

    public static string Save(byte[] model, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "model.onnx");
        File.WriteAllBytes(path, model);
        return path;
    }

    private static byte[] ValueInfo(Value v)
    {
        byte[] shape = Message(w =>
        {
            foreach (object d in v.Shape)
            {
                Bytes(w, 1, Message(dw =>
                {
                    if (d is string symbol) String(dw, 2, symbol);
                    else Int(dw, 1, Convert.ToInt64(d));
                }));
            }
        });
        byte[] tensorType = Message(w =>
        {
            Int(w, 1, v.ElementType);
            Bytes(w, 2, shape);
        });
        byte[] type = Message(w => Bytes(w, 1, tensorType));
        return Message(w =>
        {
            String(w, 1, v.Name);
            Bytes(w, 2, type);
        });
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var stream = new CodedOutputStream(buffer, leaveOpen: true)) write(stream);
        return buffer.ToArray();
    }

    private static void Int(CodedOutputStream w, int field, long value)
    {
        w.WriteTag(field, WireFormat.WireType.Varint);
        w.WriteInt64(value);
    }

    private static void String(CodedOutputStream w, int field, string value)
    {
        w.WriteTag(field, WireFormat.WireType.LengthDelimited);
        w.WriteString(value);
    }

    private static void Bytes(CodedOutputStream w, int field, byte[] value)
    {
        w.WriteTag(field, WireFormat.WireType.LengthDelimited);
        w.WriteBytes(ByteString.CopyFrom(value));
    }
}
