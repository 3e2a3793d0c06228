using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>
/// Produces the payloads of some initializers, computed together (for example a quantized weight, its scales and its
/// zero points come from one pass over the original). Created by the caller; computed by the writer when it gets there.
/// </summary>
public sealed class PayloadGroup
{
    private readonly Func<ProducedPayloads> _produce;

    /// <param name="headers">Initializers of the model being written (no payload in them), in the model's order.</param>
    /// <param name="lengths">The exact payload length of each header.</param>
    /// <param name="produce">Computes the payloads; called once, on a worker thread.</param>
    /// <param name="workingSetBytes">Memory producing the group takes (inputs it maps plus outputs); default: the output lengths.</param>
    public PayloadGroup(IReadOnlyList<TensorProto> headers, IReadOnlyList<long> lengths, Func<ProducedPayloads> produce, long? workingSetBytes = null)
    {
        if (headers.Count != lengths.Count) throw new ArgumentException("One length per header.", nameof(lengths));
        Headers = headers;
        Lengths = lengths;
        _produce = produce;
        WorkingSetBytes = workingSetBytes ?? lengths.Sum();
    }

    /// <summary>What producing the group holds in memory at once; the writer keeps the sum over groups in flight bounded.</summary>
    public long WorkingSetBytes { get; }

    public IReadOnlyList<TensorProto> Headers { get; }

    public IReadOnlyList<long> Lengths { get; }

    internal ProducedPayloads Produce() => _produce();

    /// <summary>
    /// A group that copies <paramref name="source"/>'s payload unchanged (mapped, never loaded whole) under
    /// <paramref name="header"/> (typically a clone of the source without payload).
    /// </summary>
    public static PayloadGroup Copy(PayloadReader reader, TensorProto source, TensorProto header, long length) =>
        new([header], [length], () => reader.FileRange(source) is { } range
            ? new FileRangePayload(range.Handle, range.Path, range.Offset, length)
            : new ViewPayload(reader.Read(source)), workingSetBytes: Math.Min(length, 1 << 20));
}
