using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.Win32.SafeHandles;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>How <see cref="StreamingModelWriter"/> places initializer payloads.</summary>
public enum ExternalDataMode
{
    /// <summary>Inline while the whole model fits protobuf's 2 GB limit (with a margin), external data beyond it.</summary>
    Auto,

    /// <summary>Always one external-data file beside the model (payloads of at least <see cref="ModelWriteOptions.ExternalDataMinimumBytes"/>).</summary>
    Always,

    /// <summary>Never; a model that does not fit in one protobuf file is an error.</summary>
    Never,
}

/// <summary>Options for <see cref="StreamingModelWriter.Write"/>.</summary>
public sealed record ModelWriteOptions
{
    public ExternalDataMode ExternalData { get; init; } = ExternalDataMode.Auto;

    /// <summary>In <see cref="ExternalDataMode.Auto"/>, models whose payloads add up to more than this go external.</summary>
    public long InlineLimitBytes { get; init; } = 2_000_000_000;

    /// <summary>Smaller payloads stay inline in the <c>.onnx</c> file even when external data is written.</summary>
    public long ExternalDataMinimumBytes { get; init; } = 1024;

    /// <summary>The parallelism for producing payloads (they are still written in order).</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// A group starts while others are in flight (being produced, or produced and waiting to be written) only if their
    /// working sets add up to no more than this, so a model of 256 MB tensors is produced one tensor at a time (the
    /// kernels are parallel inside a tensor), while small tensors overlap and run ahead of the writer.
    /// </summary>
    public long MaxBytesInFlight { get; init; } = 128L << 20;
}

/// <summary>What <see cref="StreamingModelWriter.Write"/> wrote.</summary>
/// <param name="ModelPath">The <c>.onnx</c> file.</param>
/// <param name="ModelBytes">Its size.</param>
/// <param name="DataPath">The external-data file, or null when everything is inline.</param>
/// <param name="DataBytes">The external-data file's size (0 when none).</param>
public sealed record ModelWriteResult(string ModelPath, long ModelBytes, string? DataPath, long DataBytes);

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

/// <summary>Computed payloads of one <see cref="PayloadGroup"/>; disposed once all are written.</summary>
public abstract class ProducedPayloads : IDisposable
{
    /// <summary>The payload of header <paramref name="index"/> of the group.</summary>
    public abstract ReadOnlySpan<byte> Get(int index);

    /// <summary>Writes the payload of header <paramref name="index"/>; returns how many bytes it wrote.</summary>
    public virtual long WriteTo(int index, Stream destination)
    {
        var payload = Get(index);
        destination.Write(payload);
        return payload.Length;
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

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

/// <summary>
/// One payload copied from a byte range of an open file in 1 MiB reads, never held whole and never mapped (reading
/// through the page cache is faster than faulting in a mapping for a straight copy, and keeps memory flat). The handle
/// belongs to the source model; <paramref name="path"/> only names it in messages.
/// </summary>
public sealed class FileRangePayload(SafeFileHandle handle, string path, long offset, long length) : ProducedPayloads
{
    public override ReadOnlySpan<byte> Get(int index) => throw new NotSupportedException("A file range payload is only streamed.");

    /// <summary>
    /// Streams the range. A source that cannot be read or ends early is an <see cref="OnnxModelException"/> about the
    /// source (SLM2009 / SLM2003), so it is not mistaken for a failure to write the destination.
    /// </summary>
    public override long WriteTo(int index, Stream destination)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(length, 1 << 20));
        try
        {
            long done = 0;
            while (done < length)
            {
                int read = ReadSource(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - done)), offset + done);
                if (read == 0)
                {
                    throw new OnnxModelException(OnnxErrorCodes.TruncatedOrCorrupt, path,
                        $"The file ended {length - done:N0} bytes before the tensor payload at offset {offset:N0} did; it was truncated or replaced while it was being read. Run again.");
                }
                destination.Write(buffer, 0, read);
                done += read;
            }
            return done;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private int ReadSource(SafeFileHandle handle, Span<byte> buffer, long position)
    {
        try
        {
            return RandomAccess.Read(handle, buffer, position);
        }
        catch (IOException ex)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileAccessFailed, path, $"The file cannot be read any more: {ex.Message}", ex);
        }
    }
}

/// <summary>One payload read through a <see cref="PayloadView"/> (a mapped source tensor copied as is).</summary>
public sealed class ViewPayload(PayloadView view) : ProducedPayloads
{
    public override ReadOnlySpan<byte> Get(int index) => view.Bytes;

    public override void Dispose()
    {
        view.Dispose();
        base.Dispose();
    }
}

/// <summary>A model too big for one protobuf file was to be written without external data; nothing was written.</summary>
public sealed class ModelTooLargeException(string message) : InvalidOperationException(message);

/// <summary>
/// Writes a model whose large payloads are produced on the fly, one group at a time, so memory holds the graph
/// structure plus the few payloads being computed, never the whole model. Inline files are written in one pass
/// (sizes are known up front, so the protobuf length prefixes are written before the payloads); external data goes
/// to one <c>&lt;name&gt;.data</c> file beside the model. Everything is written to temporary files that are renamed
/// at the end, and deleted on failure. The output is deterministic.
/// </summary>
public static class StreamingModelWriter
{
    private const int AlignThreshold = 1 << 20;
    private const int Alignment = 1 << 16;

    /// <summary>
    /// Writes <paramref name="model"/>. Initializers of its main graph that appear in a group of
    /// <paramref name="groups"/> get their payload from it; all other tensors are written as they are.
    /// </summary>
    public static ModelWriteResult Write(ModelProto model, IReadOnlyList<PayloadGroup> groups, string path, ModelWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ModelWriteOptions();
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);

        var slots = new Dictionary<TensorProto, (PayloadGroup Group, int Index)>(ReferenceEqualityComparer.Instance);
        long payloadBytes = 0;
        foreach (var group in groups)
        {
            for (int i = 0; i < group.Headers.Count; i++)
            {
                var header = group.Headers[i];
                header.ClearRawData();
                header.ExternalData.Clear();
                header.ClearDataLocation();
                slots.Add(header, (group, i));
                payloadBytes += group.Lengths[i];
            }
        }

        long inlineBytes = payloadBytes + model.CalculateSize();
        bool external = options.ExternalData switch
        {
            ExternalDataMode.Always => true,
            ExternalDataMode.Never => false,
            _ => inlineBytes > options.InlineLimitBytes,
        };
        if (!external && inlineBytes > int.MaxValue)
            throw new ModelTooLargeException($"The model needs {payloadBytes:N0} bytes of weights, more than one ONNX file can hold (2 GB); write it with external data.");

        string dataName = Path.GetFileName(full) + ".data";
        string dataPath = Path.Combine(folder, dataName);
        // Two files committed together (data first, so the model never points at a missing one): FileCommit's parts.
        string tempModel = FileCommit.TempPathFor(full);
        string? tempData = external ? FileCommit.TempPathFor(dataPath) : null;
        try
        {
            long dataBytes = 0;
            if (external)
            {
                dataBytes = WriteExternal(model, slots, tempData!, dataName, options);
                using var stream = new FileStream(tempModel, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                model.WriteTo(stream);
            }
            else
            {
                WriteInline(model, slots, tempModel, options);
            }

            if (tempData is not null) FileCommit.MoveIntoPlace(tempData, dataPath);
            FileCommit.MoveIntoPlace(tempModel, full);
            return new ModelWriteResult(full, new FileInfo(full).Length, external ? dataPath : null, dataBytes);
        }
        finally
        {
            File.Delete(tempModel);
            if (tempData is not null) File.Delete(tempData);
        }
    }

    private static long WriteExternal(ModelProto model, Dictionary<TensorProto, (PayloadGroup Group, int Index)> slots, string tempData, string dataName, ModelWriteOptions options)
    {
        using var data = new FileStream(tempData, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        ForEachPayload(model, slots, options, (header, produced, index, length) =>
        {
            if (length < options.ExternalDataMinimumBytes)
            {
                var small = new MemoryStream();
                CheckLength(header, length, produced.WriteTo(index, small));
                header.RawData = ByteString.CopyFrom(small.GetBuffer(), 0, (int)small.Length);
                return;
            }

            if (length >= AlignThreshold && data.Position % Alignment != 0)
            {
                Span<byte> zeros = stackalloc byte[4096];
                long pad = Alignment - data.Position % Alignment;
                for (; pad > 0; pad -= Math.Min(pad, zeros.Length)) data.Write(zeros[..(int)Math.Min(pad, zeros.Length)]);
            }

            header.DataLocation = TensorProto.Types.DataLocation.External;
            header.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
            header.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = data.Position.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            header.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            CheckLength(header, length, produced.WriteTo(index, data));
        });
        data.Flush(flushToDisk: false);
        return data.Length;
    }

    /// <summary>
    /// Writes the ModelProto fields except the graph, then the graph field: its fields except the initializers, then
    /// each initializer as its header plus a <c>raw_data</c> field whose bytes are streamed. Protobuf readers accept
    /// fields in any order and append repeated fields, so this parses to the same model as a regular serialization.
    /// </summary>
    private static void WriteInline(ModelProto model, Dictionary<TensorProto, (PayloadGroup Group, int Index)> slots,
        string tempModel, ModelWriteOptions options)
    {
        var graph = model.Graph;
        var initializers = graph?.Initializer.ToList() ?? [];
        var shell = model.Clone();
        shell.Graph = null;
        GraphProto? graphShell = graph?.Clone();
        graphShell?.Initializer.Clear();

        long InitializerSize(TensorProto t) => slots.TryGetValue(t, out var slot)
            ? t.CalculateSize() + RawDataFieldSize(slot.Group.Lengths[slot.Index])
            : t.CalculateSize();

        using var file = new FileStream(tempModel, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        using (var output = new CodedOutputStream(file, leaveOpen: true))
        {
            shell.WriteTo(output);
            if (graph is not null)
            {
                long graphSize = graphShell!.CalculateSize();
                foreach (var t in initializers)
                {
                    long size = InitializerSize(t);
                    graphSize += 1 + CodedOutputStream.ComputeLengthSize(checked((int)size)) + size;
                }
                output.WriteTag(7, WireFormat.WireType.LengthDelimited);
                output.WriteLength(checked((int)graphSize));
                graphShell.WriteTo(output);
            }
            output.Flush();
        }

        if (graph is null) return;
        var pending = new Queue<TensorProto>(initializers);
        ForEachPayload(model, slots, options, (header, produced, index, length) =>
        {
            while (pending.Peek() != header) WriteInitializer(file, pending.Dequeue(), null);
            pending.Dequeue();
            WriteInitializer(file, header, length);
            CheckLength(header, length, produced.WriteTo(index, file));
        });
        while (pending.Count > 0) WriteInitializer(file, pending.Dequeue(), null);
        file.Flush(flushToDisk: false);
    }

    private static long RawDataFieldSize(long length) => 1 + CodedOutputStream.ComputeLengthSize(checked((int)length)) + length;

    /// <summary>Writes an initializer entry: the tensor, then (when <paramref name="payloadLength"/> is set) the prefix of its raw_data; the caller writes the payload bytes.</summary>
    private static void WriteInitializer(FileStream file, TensorProto tensor, long? payloadLength)
    {
        int headerSize = tensor.CalculateSize();
        long size = headerSize + (payloadLength is long n ? RawDataFieldSize(n) : 0);
        using (var output = new CodedOutputStream(file, leaveOpen: true))
        {
            output.WriteTag(5, WireFormat.WireType.LengthDelimited);
            output.WriteLength(checked((int)size));
            tensor.WriteTo(output);
            if (payloadLength is long length)
            {
                output.WriteTag(9, WireFormat.WireType.LengthDelimited);
                output.WriteLength(checked((int)length));
            }
            output.Flush();
        }
    }

    private static void CheckLength(TensorProto header, long announced, long written)
    {
        if (announced != written)
            throw new InvalidOperationException($"Tensor '{header.Name}' was announced as {announced:N0} bytes but produced {written:N0}.");
    }

    private delegate void PayloadSink(TensorProto header, ProducedPayloads produced, int index, long length);

    /// <summary>
    /// Hands every grouped header of the main graph with its payload to <paramref name="sink"/>, in initializer order.
    /// Groups are produced on worker threads, at most the degree of parallelism at a time and as far ahead of the writer
    /// as <see cref="ModelWriteOptions.MaxBytesInFlight"/> allows; each is disposed after its last payload has been
    /// written, which bounds memory to the groups in flight.
    /// </summary>
    private static void ForEachPayload(ModelProto model, Dictionary<TensorProto, (PayloadGroup Group, int Index)> slots,
        ModelWriteOptions options, PayloadSink sink)
    {
        var order = (model.Graph?.Initializer ?? []).Where(slots.ContainsKey).ToList();
        var remaining = new Dictionary<PayloadGroup, int>(ReferenceEqualityComparer.Instance);
        var groupOrder = new List<PayloadGroup>();
        foreach (var header in order)
        {
            var group = slots[header].Group;
            if (remaining.TryGetValue(group, out int count)) remaining[group] = count + 1;
            else
            {
                remaining[group] = 1;
                groupOrder.Add(group);
            }
        }

        // Groups run at most MaxDegreeOfParallelism at a time, but finished ones may wait for the writer: while it
        // copies a big unchanged tensor (MiniLM's 47 MB embedding table comes first), the rest are already quantized.
        var scheduler = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, Math.Max(1, options.MaxDegreeOfParallelism)).ConcurrentScheduler;
        var started = new Dictionary<PayloadGroup, Task<ProducedPayloads>>(ReferenceEqualityComparer.Instance);
        long bytesInFlight = 0;
        int next = 0;
        void StartAhead()
        {
            while (next < groupOrder.Count && (started.Count == 0 || bytesInFlight + groupOrder[next].WorkingSetBytes <= options.MaxBytesInFlight))
            {
                var group = groupOrder[next++];
                bytesInFlight += group.WorkingSetBytes;
                started[group] = Task.Factory.StartNew(group.Produce, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
            }
        }

        try
        {
            foreach (var header in order)
            {
                var (group, index) = slots[header];
                StartAhead();
                var produced = started[group].GetAwaiter().GetResult();
                sink(header, produced, index, group.Lengths[index]);
                if (--remaining[group] == 0)
                {
                    started.Remove(group);
                    bytesInFlight -= group.WorkingSetBytes;
                    produced.Dispose();
                }
            }
        }
        finally
        {
            foreach (var task in started.Values)
            {
                try
                {
                    task.GetAwaiter().GetResult().Dispose();
                }
                catch (Exception)
                {
                    // The first failure is the one being reported; later ones come from the same cause.
                }
            }
        }
    }
}
