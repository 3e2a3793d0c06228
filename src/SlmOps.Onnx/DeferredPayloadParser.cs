using Google.Protobuf;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>
/// Parses a model without copying the <c>raw_data</c> of its main graph's large initializers into managed memory.
/// It walks only the outer wire structure (ModelProto → graph → initializer → raw_data) to find where those payloads
/// are, copies everything else into a smaller buffer, and lets Google.Protobuf parse that; the payloads stay in the
/// file and are read one tensor at a time through <see cref="PayloadReader"/>.
/// Returns null when the file has a shape this walk does not handle (the caller then parses it the ordinary way,
/// which also produces the ordinary error messages for broken files).
/// </summary>
internal static class DeferredPayloadParser
{
    private const int ModelGraphField = 7;
    private const int GraphInitializerField = 5;
    private const int TensorRawDataField = 9;
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    public static ModelProto? TryParse(ReadOnlySpan<byte> file, long minimumDeferredBytes, Dictionary<TensorProto, PayloadRange> deferred)
    {
        try
        {
            return Parse(file, minimumDeferredBytes, deferred);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or WireFormatException)
        {
            deferred.Clear();
            return null;
        }
    }

    private static ModelProto? Parse(ReadOnlySpan<byte> file, long minimumDeferredBytes, Dictionary<TensorProto, PayloadRange> deferred)
    {
        var rest = new MemoryStream();
        int graphStart = -1, graphLength = 0;
        int position = 0;
        while (position < file.Length)
        {
            int fieldStart = position;
            var (field, wire) = ReadTag(file, ref position);
            if (field == ModelGraphField && wire == WireLengthDelimited)
            {
                if (graphStart >= 0) return null; // several graph fields merge in protobuf; leave that to the full parser
                graphLength = ReadLength(file, ref position);
                graphStart = position;
                position += graphLength;
                continue;
            }
            Skip(file, ref position, wire);
            rest.Write(file[fieldStart..position]);
        }

        var model = ModelProto.Parser.ParseFrom(rest.GetBuffer().AsSpan(0, (int)rest.Length));
        if (graphStart < 0) return model;

        var graphRest = new MemoryStream();
        var initializers = new List<TensorProto>();
        var graph = file.Slice(graphStart, graphLength);
        position = 0;
        while (position < graph.Length)
        {
            int fieldStart = position;
            var (field, wire) = ReadTag(graph, ref position);
            if (field == GraphInitializerField && wire == WireLengthDelimited)
            {
                int length = ReadLength(graph, ref position);
                var tensor = ParseTensor(graph.Slice(position, length), graphStart + position, minimumDeferredBytes, deferred);
                if (tensor is null) return null;
                initializers.Add(tensor);
                position += length;
                continue;
            }
            Skip(graph, ref position, wire);
            graphRest.Write(graph[fieldStart..position]);
        }

        model.Graph = GraphProto.Parser.ParseFrom(graphRest.GetBuffer().AsSpan(0, (int)graphRest.Length));
        model.Graph.Initializer.AddRange(initializers);
        return model;
    }

    private static TensorProto? ParseTensor(ReadOnlySpan<byte> tensor, long fileOffset, long minimumDeferredBytes, Dictionary<TensorProto, PayloadRange> deferred)
    {
        var rest = new MemoryStream();
        PayloadRange? payload = null;
        int position = 0;
        while (position < tensor.Length)
        {
            int fieldStart = position;
            var (field, wire) = ReadTag(tensor, ref position);
            if (field == TensorRawDataField && wire == WireLengthDelimited)
            {
                int length = ReadLength(tensor, ref position);
                if (payload is not null) return null; // repeated raw_data: the last one wins; not worth handling here
                if (length >= minimumDeferredBytes)
                {
                    payload = new PayloadRange(fileOffset + position, length);
                    position += length;
                    continue;
                }
                position += length;
                rest.Write(tensor[fieldStart..position]);
                continue;
            }
            Skip(tensor, ref position, wire);
            rest.Write(tensor[fieldStart..position]);
        }

        var proto = TensorProto.Parser.ParseFrom(rest.GetBuffer().AsSpan(0, (int)rest.Length));
        if (payload is { } range) deferred.Add(proto, range);
        return proto;
    }

    private static (int Field, int Wire) ReadTag(ReadOnlySpan<byte> span, ref int position)
    {
        ulong tag = ReadVarint(span, ref position);
        int field = (int)(tag >> 3);
        if (field == 0 || tag >> 3 > int.MaxValue) throw new WireFormatException("invalid tag");
        return (field, (int)(tag & 7));
    }

    private static int ReadLength(ReadOnlySpan<byte> span, ref int position)
    {
        ulong length = ReadVarint(span, ref position);
        if (length > (ulong)(span.Length - position)) throw new WireFormatException("truncated");
        return (int)length;
    }

    private static void Skip(ReadOnlySpan<byte> span, ref int position, int wire)
    {
        int size = wire switch
        {
            WireVarint => -1,
            WireFixed64 => 8,
            WireLengthDelimited => ReadLength(span, ref position),
            WireFixed32 => 4,
            _ => throw new WireFormatException("group or unknown wire type"),
        };
        if (size < 0)
        {
            ReadVarint(span, ref position);
            return;
        }
        if (size > span.Length - position) throw new WireFormatException("truncated");
        position += size;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= span.Length) throw new WireFormatException("truncated");
            byte b = span[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new WireFormatException("malformed varint");
    }

    private sealed class WireFormatException(string message) : Exception(message);
}

/// <summary>A byte range of the model file that holds one tensor's payload.</summary>
public readonly record struct PayloadRange(long Offset, long Length);
