using Google.Protobuf;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

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
