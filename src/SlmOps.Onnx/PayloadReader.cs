using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>
/// Gives the payload bytes of one tensor at a time. Payloads in files (external data, or deferred <c>raw_data</c>) are
/// memory-mapped for just that tensor and unmapped when the <see cref="PayloadView"/> is disposed, so reading a whole
/// model tensor by tensor never holds more than the tensors in use. Thread-safe: views may be open on several threads.
/// </summary>
public sealed class PayloadReader : IDisposable
{
    private readonly OnnxModel _model;
    private readonly Dictionary<string, MemoryMappedFile> _maps = new(StringComparer.Ordinal);
    private bool _disposed;

    internal PayloadReader(OnnxModel model) => _model = model;

    /// <summary>Maps (or, for typed fields, packs) the payload of <paramref name="tensor"/>.</summary>
    public PayloadView Read(TensorProto tensor)
    {
        var data = _model.GetTensorData(tensor);
        switch (data.Storage)
        {
            case TensorStorage.None:
                return PayloadView.FromMemory(ReadOnlyMemory<byte>.Empty);
            case TensorStorage.Raw:
                return PayloadView.FromMemory(data.GetRawBytes());
            case TensorStorage.Typed:
                return PayloadView.FromMemory(PackTyped(tensor));
            case TensorStorage.External:
                return Map(data, _model.ExternalPath(data.External!.Location), data.External.Offset, data.ByteLength!.Value);
            default:
                return Map(data, data.FilePath!, data.Range.Offset, data.Range.Length);
        }
    }

    /// <summary>
    /// Where the payload of <paramref name="tensor"/> is in a file (external data or deferred): the open handle the
    /// loader checked, the path (for messages) and the offset; null when the payload is in memory.
    /// </summary>
    public (SafeFileHandle Handle, string Path, long Offset)? FileRange(TensorProto tensor)
    {
        var data = _model.GetTensorData(tensor);
        return data.Storage switch
        {
            TensorStorage.External => (_model.HandleOf(data), _model.ExternalPath(data.External!.Location), data.External.Offset),
            TensorStorage.Deferred => (_model.HandleOf(data), data.FilePath!, data.Range.Offset),
            _ => null,
        };
    }

    private PayloadView Map(TensorData data, string path, long offset, long length)
    {
        if (length == 0) return PayloadView.FromMemory(ReadOnlyMemory<byte>.Empty);
        if (length > int.MaxValue)
            throw new InvalidDataException($"Tensor '{data.Name}' has a payload of {length:N0} bytes in '{path}', more than the 2 GB a tensor can have in memory here.");
        MemoryMappedFile map;
        lock (_maps)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_maps.TryGetValue(path, out map!))
            {
                map = MemoryMappedFile.CreateFromFile(_model.HandleOf(data), null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
                _maps.Add(path, map);
            }
        }
        return PayloadView.FromMap(map.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read), (int)length);
    }

    private static byte[] PackTyped(TensorProto tensor) => (TensorProto.Types.DataType)tensor.DataType switch
    {
        TensorProto.Types.DataType.Float => MemoryMarshal.AsBytes(tensor.FloatData.ToArray().AsSpan()).ToArray(),
        TensorProto.Types.DataType.Double => MemoryMarshal.AsBytes(tensor.DoubleData.ToArray().AsSpan()).ToArray(),
        TensorProto.Types.DataType.Int64 => MemoryMarshal.AsBytes(tensor.Int64Data.ToArray().AsSpan()).ToArray(),
        TensorProto.Types.DataType.Int32 => MemoryMarshal.AsBytes(tensor.Int32Data.ToArray().AsSpan()).ToArray(),
        _ => throw new NotSupportedException(
            $"Tensor '{tensor.Name}' keeps its {OnnxElementTypes.GetName(tensor.DataType)} payload in typed fields, which this tool does not unpack; save the model with raw_data.")
    };

    public void Dispose()
    {
        lock (_maps)
        {
            _disposed = true;
            foreach (var map in _maps.Values) map.Dispose();
            _maps.Clear();
        }
    }
}

/// <summary>One tensor's payload bytes; valid until disposed.</summary>
public sealed unsafe class PayloadView : IDisposable
{
    private readonly MemoryMappedViewAccessor? _view;
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly byte* _pointer;
    private readonly int _length;
    private bool _disposed;

    private PayloadView(MemoryMappedViewAccessor? view, ReadOnlyMemory<byte> memory, byte* pointer, int length)
    {
        _view = view;
        _memory = memory;
        _pointer = pointer;
        _length = length;
    }

    internal static PayloadView FromMemory(ReadOnlyMemory<byte> memory) => new(null, memory, null, memory.Length);

    internal static PayloadView FromMap(MemoryMappedViewAccessor view, int length)
    {
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        return new PayloadView(view, default, pointer + view.PointerOffset, length);
    }

    /// <summary>The payload (little-endian, packed as ONNX <c>raw_data</c>).</summary>
    public ReadOnlySpan<byte> Bytes => _view is null ? _memory.Span : new ReadOnlySpan<byte>(_pointer, _length);

    public void Dispose()
    {
        if (_view is null || _disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
    }
}
