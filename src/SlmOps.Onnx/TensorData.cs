using System.Globalization;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>Where a tensor's payload lives.</summary>
public enum TensorStorage
{
    /// <summary>No payload (an empty tensor, or a tensor that only declares a type).</summary>
    None,

    /// <summary>In the <c>raw_data</c> bytes (little-endian, packed).</summary>
    Raw,

    /// <summary>In the typed repeated fields (<c>float_data</c>, <c>int32_data</c>, ...).</summary>
    Typed,

    /// <summary>In an external-data file beside the model.</summary>
    External,

    /// <summary>In the model file's own <c>raw_data</c>, left there by a load that defers payloads (see <see cref="TensorData.Range"/>).</summary>
    Deferred,
}

/// <summary>
/// The one place that knows how a tensor stores its payload. Everything that needs tensor bytes goes through here,
/// so that memory-mapped and streaming access can replace the in-memory <c>raw_data</c> without touching callers.
/// </summary>
public sealed class TensorData
{
    private readonly TensorProto _tensor;

    private TensorData(TensorProto tensor, TensorStorage storage, ExternalDataReference? external, string? file = null, PayloadRange range = default)
    {
        _tensor = tensor;
        Storage = storage;
        External = external;
        FilePath = file;
        Range = range;
    }

    internal static TensorData Deferred(TensorProto tensor, string modelPath, PayloadRange range) =>
        new(tensor, TensorStorage.Deferred, null, modelPath, range);

    /// <summary>Describes <paramref name="tensor"/>'s payload. Throws <see cref="FormatException"/> for a malformed external reference.</summary>
    public static TensorData Of(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (IsExternal(tensor))
            return new TensorData(tensor, TensorStorage.External, ExternalDataReference.Parse(tensor));
        if (tensor.HasRawData)
            return new TensorData(tensor, TensorStorage.Raw, null);
        bool typed = tensor.FloatData.Count > 0 || tensor.Int32Data.Count > 0 || tensor.StringData.Count > 0
            || tensor.Int64Data.Count > 0 || tensor.DoubleData.Count > 0 || tensor.Uint64Data.Count > 0;
        return new TensorData(tensor, typed ? TensorStorage.Typed : TensorStorage.None, null);
    }

    /// <summary>True when the tensor keeps its payload in an external file.</summary>
    public static bool IsExternal(TensorProto tensor) =>
        tensor.DataLocation == TensorProto.Types.DataLocation.External;

    public TensorStorage Storage { get; }

    public string Name => _tensor.Name;

    /// <summary>The <see cref="TensorProto.Types.DataType"/> value.</summary>
    public int DataType => _tensor.DataType;

    public string ElementType => OnnxElementTypes.GetName(_tensor.DataType);

    public IReadOnlyList<long> Dims => _tensor.Dims;

    /// <summary>The product of the dimensions (1 for a scalar), or null when a dimension is negative or it overflows.</summary>
    public long? ElementCount
    {
        get
        {
            long count = 1;
            foreach (long d in _tensor.Dims)
            {
                if (d < 0) return null;
                try { count = checked(count * d); }
                catch (OverflowException) { return null; }
            }
            return count;
        }
    }

    /// <summary>Set when <see cref="Storage"/> is <see cref="TensorStorage.External"/>.</summary>
    public ExternalDataReference? External { get; }

    /// <summary>For <see cref="TensorStorage.Deferred"/>: the model file that holds the payload.</summary>
    public string? FilePath { get; }

    /// <summary>For <see cref="TensorStorage.Deferred"/>: where in <see cref="FilePath"/> the payload is.</summary>
    public PayloadRange Range { get; }

    /// <summary>
    /// The payload size in bytes: the <c>raw_data</c> length, the typed field counts times the element size, or the
    /// external length (computed from the shape when the reference has none). Null when it cannot be known.
    /// </summary>
    public long? ByteLength => Storage switch
    {
        TensorStorage.None => 0,
        TensorStorage.Raw => _tensor.RawData.Length,
        TensorStorage.External => External!.Length ?? ExpectedByteLength,
        TensorStorage.Deferred => Range.Length,
        _ => TypedByteLength(),
    };

    /// <summary>What the shape and element type say the packed payload takes; null for strings or unknown types.</summary>
    public long? ExpectedByteLength => ElementCount is long n ? OnnxElementTypes.GetByteCount(_tensor.DataType, n) : null;

    /// <summary>The <c>raw_data</c> bytes without a copy. Only for <see cref="TensorStorage.Raw"/>.</summary>
    public ReadOnlyMemory<byte> GetRawBytes() => Storage == TensorStorage.Raw
        ? _tensor.RawData.Memory
        : throw new InvalidOperationException($"Tensor '{Name}' stores its payload as {Storage}, not in raw_data.");

    private long? TypedByteLength()
    {
        int bits = OnnxElementTypes.GetBitsPerElement(_tensor.DataType);
        if (_tensor.DataType == (int)TensorProto.Types.DataType.String)
        {
            long total = 0;
            foreach (var s in _tensor.StringData) total += s.Length;
            return total;
        }
        if (bits < 8) return ExpectedByteLength;

        // float_data and double_data hold one value per entry (complex types use two entries per element);
        // int32_data, int64_data and uint64_data hold one element per entry, whatever its width.
        long bytesPerEntry = bits / 8;
        return checked(_tensor.FloatData.Count * 4L + _tensor.DoubleData.Count * 8L
            + (_tensor.Int32Data.Count + _tensor.Int64Data.Count + _tensor.Uint64Data.Count) * bytesPerEntry);
    }
}

/// <summary>The <c>external_data</c> entries of one tensor: where its payload is, relative to the model's folder.</summary>
public sealed class ExternalDataReference
{
    private ExternalDataReference(string location, long offset, long? length, string? checksum)
    {
        Location = location;
        Offset = offset;
        Length = length;
        Checksum = checksum;
    }

    /// <summary>The <c>location</c> entry as written in the model (not yet checked for safety).</summary>
    public string Location { get; }

    public long Offset { get; }

    /// <summary>The <c>length</c> entry; null when absent (the payload then runs for the size its shape implies).</summary>
    public long? Length { get; }

    /// <summary>The optional <c>checksum</c> entry (SHA-1 hex per the ONNX specification); not verified.</summary>
    public string? Checksum { get; }

    /// <summary>Reads the entries. Throws <see cref="FormatException"/> when offset or length is not a non-negative integer.</summary>
    public static ExternalDataReference Parse(TensorProto tensor)
    {
        string location = "";
        long offset = 0;
        long? length = null;
        string? checksum = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseNonNegative(tensor, entry); break;
                case "length": length = ParseNonNegative(tensor, entry); break;
                case "checksum": checksum = entry.Value; break;
            }
        }
        return new ExternalDataReference(location, offset, length, checksum);
    }

    private static long ParseNonNegative(TensorProto tensor, StringStringEntryProto entry) =>
        long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new FormatException($"Tensor '{tensor.Name}' has an external-data {entry.Key} of '{entry.Value}', which is not a non-negative integer.");
}
