using System.Runtime.InteropServices;

namespace SlmOps.Onnx;

/// <summary>
/// Payloads in zeroed native buffers, freed as soon as the group is written. They stay off the GC heap: a run
/// allocates them once per tensor, and as large-object-heap arrays they made the GC run full collections in the
/// middle of a 0.3 s quantization (two collections, 15-18 ms of pauses on MiniLM).
/// </summary>
public sealed unsafe class NativePayloads : ProducedPayloads
{
    // A list of a reference type: its code is shared and precompiled, where a list of tuples would be compiled at run time.
    private readonly List<Buffer> _buffers = [];

    /// <summary>Allocates the zeroed buffer for the next payload (index = the number allocated before).</summary>
    public Span<byte> Add(long length)
    {
        int size = checked((int)length);
        var buffer = new Buffer((nint)NativeMemory.AllocZeroed((nuint)Math.Max(size, 1)), size);
        _buffers.Add(buffer);
        return new Span<byte>((void*)buffer.Pointer, size);
    }

    public override ReadOnlySpan<byte> Get(int index) => new((void*)_buffers[index].Pointer, _buffers[index].Length);

    public override void Dispose()
    {
        foreach (var buffer in _buffers) NativeMemory.Free((void*)buffer.Pointer);
        _buffers.Clear();
        base.Dispose();
    }

    private sealed record Buffer(nint Pointer, int Length);
}
