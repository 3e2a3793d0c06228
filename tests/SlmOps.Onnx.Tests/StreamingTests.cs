using Google.Protobuf;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;

namespace SlmOps.Onnx.Tests;

/// <summary>Deferred-payload loading and the streaming writer: models round-trip without ever being held whole.</summary>
public class StreamingTests
{
    private static readonly OnnxLoadOptions s_deferred = new() { DeferPayloadsOfAtLeast = 16 };

    [Fact]
    public void Deferred_load_leaves_large_payloads_in_the_file_and_reads_them_back_exactly()
    {
        using var temp = new TempDirectory();
        string path = OnnxModelFactory.Write(temp.FullPath);
        var full = OnnxModelLoader.Load(path);
        var model = OnnxModelLoader.Load(path, s_deferred);

        Assert.True(model.HasDeferredPayloads);
        Assert.Equal(full.Sha256, model.Sha256);
        var w = model.Proto.Graph.Initializer.Single(t => t.Name == "W");
        Assert.False(w.HasRawData);
        var data = model.GetTensorData(w);
        Assert.Equal(TensorStorage.Deferred, data.Storage);
        Assert.Equal(48, data.ByteLength);

        using var reader = model.OpenPayloads();
        using var view = reader.Read(w);
        Assert.Equal(full.Proto.Graph.Initializer.Single(t => t.Name == "W").RawData.ToByteArray(), view.Bytes.ToArray());
        using var stream = model.OpenPayloadStream(w);
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.Equal(view.Bytes.ToArray(), copy.ToArray());

        // B keeps float_data (typed fields are never deferred); the graph is otherwise the same.
        Assert.Equal(full.Proto.Graph.Node, model.Proto.Graph.Node);
        Assert.Equal(full.Inspect().InitializerBytes, model.Inspect().InitializerBytes);
    }

    [Fact]
    public void A_file_the_wire_walk_cannot_handle_falls_back_to_the_ordinary_parser_and_its_errors()
    {
        using var temp = new TempDirectory();
        string path = Path.Combine(temp.FullPath, "bad.onnx");
        var bytes = OnnxModelFactory.CreateLinear().ToByteArray();
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        var ex = Assert.Throws<OnnxModelException>(() => OnnxModelLoader.Load(path, s_deferred));
        Assert.Equal(OnnxErrorCodes.TruncatedOrCorrupt, ex.Code);
    }

    [Theory]
    [InlineData(ExternalDataMode.Never)]
    [InlineData(ExternalDataMode.Always)]
    public void Writing_a_deferred_model_with_copy_groups_reproduces_the_model(ExternalDataMode mode)
    {
        using var temp = new TempDirectory();
        var original = OnnxModelLoader.Load(MiniLm.ModelPath);
        var model = OnnxModelLoader.Load(MiniLm.ModelPath, new OnnxLoadOptions { DeferPayloadsOfAtLeast = 1024 });
        string output = Path.Combine(temp.FullPath, "out", "copy.onnx");

        using (var reader = model.OpenPayloads())
        {
            var proto = model.Proto.Clone();
            var groups = model.Proto.Graph.Initializer.Select((t, i) => (Source: t, Header: proto.Graph.Initializer[i]))
                .Where(p => model.GetTensorData(p.Source).Storage == TensorStorage.Deferred)
                .Select(p => PayloadGroup.Copy(reader, p.Source, p.Header, model.GetTensorData(p.Source).ByteLength!.Value))
                .ToList();
            var result = StreamingModelWriter.Write(proto, groups, output, new ModelWriteOptions { ExternalData = mode });
            Assert.Equal(mode == ExternalDataMode.Always, result.DataPath is not null);
        }

        var written = OnnxModelLoader.Load(output);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp"));
        if (mode == ExternalDataMode.Never)
        {
            Assert.Equal(original.Proto, written.Proto);
            return;
        }

        Assert.Single(written.ExternalDataFiles);
        using var writtenReader = written.OpenPayloads();
        foreach (var (a, b) in original.Proto.Graph.Initializer.Zip(written.Proto.Graph.Initializer))
        {
            Assert.Equal(a.Name, b.Name);
            using var view = writtenReader.Read(b);
            Assert.True(a.RawData.Span.SequenceEqual(view.Bytes), a.Name);
        }
    }

    [Fact]
    public void A_model_with_several_external_files_round_trips_into_one_data_file()
    {
        using var temp = new TempDirectory();
        string path = OnnxModelFactory.WriteWithExternalData(Path.Combine(temp.FullPath, "in"));
        var model = OnnxModelLoader.Load(path);
        Assert.Equal(2, model.ExternalDataFiles.Count);
        string output = Path.Combine(temp.FullPath, "out", "model.onnx");

        using (var reader = model.OpenPayloads())
        {
            var proto = model.Proto.Clone();
            var groups = model.Proto.Graph.Initializer.Select((t, i) =>
                PayloadGroup.Copy(reader, t, proto.Graph.Initializer[i], model.GetTensorData(t).ByteLength!.Value)).ToList();
            StreamingModelWriter.Write(proto, groups, output, new ModelWriteOptions { ExternalData = ExternalDataMode.Always, ExternalDataMinimumBytes = 1 });
        }

        var written = OnnxModelLoader.Load(output);
        Assert.Equal("model.onnx.data", Assert.Single(written.ExternalDataFiles).RelativePath);
        using var writtenReader = written.OpenPayloads();
        var w = writtenReader.Read(written.Proto.Graph.Initializer.Single(t => t.Name == "W")).Bytes.ToArray();
        var b = writtenReader.Read(written.Proto.Graph.Initializer.Single(t => t.Name == "B")).Bytes.ToArray();
        Assert.Equal(OnnxModelFactory.FloatBytes(OnnxModelFactory.Weights), w);
        Assert.Equal(OnnxModelFactory.FloatBytes(OnnxModelFactory.Bias), b);
    }

    [Fact]
    public void A_source_truncated_after_loading_is_SLM2003_about_the_source_not_a_write_failure()
    {
        using var temp = new TempDirectory();
        string source = Path.Combine(temp.FullPath, "in.onnx");
        File.Copy(MiniLm.ModelPath, source);
        var model = OnnxModelLoader.Load(source, new OnnxLoadOptions { DeferPayloadsOfAtLeast = 1024 });
        using (var stream = new FileStream(source, FileMode.Open)) stream.SetLength(stream.Length / 2);
        string output = Path.Combine(temp.FullPath, "out", "copy.onnx");

        using var reader = model.OpenPayloads();
        var proto = model.Proto.Clone();
        var groups = model.Proto.Graph.Initializer.Select((t, i) => (Source: t, Header: proto.Graph.Initializer[i]))
            .Where(p => model.GetTensorData(p.Source).Storage == TensorStorage.Deferred)
            .Select(p => PayloadGroup.Copy(reader, p.Source, p.Header, model.GetTensorData(p.Source).ByteLength!.Value))
            .ToList();
        var ex = Assert.Throws<OnnxModelException>(() => StreamingModelWriter.Write(proto, groups, output));

        Assert.Equal(OnnxErrorCodes.TruncatedOrCorrupt, ex.Code);
        Assert.Equal(source, ex.FilePath);
        Assert.Empty(Directory.GetFiles(Path.Combine(temp.FullPath, "out")));
    }

    [Fact]
    public void More_than_2_GB_inline_is_refused_before_anything_is_produced_or_written()
    {
        using var temp = new TempDirectory();
        var model = OnnxModelFactory.CreateLinear();
        var w = model.Graph.Initializer.Single(t => t.Name == "W");
        var huge = new PayloadGroup([w], [3_000_000_000], () => throw new InvalidOperationException("must not be produced"));

        var ex = Assert.Throws<ModelTooLargeException>(() =>
            StreamingModelWriter.Write(model, [huge], Path.Combine(temp.FullPath, "m.onnx"), new ModelWriteOptions { ExternalData = ExternalDataMode.Never }));
        Assert.Contains("external data", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.FullPath));
    }

    [Fact]
    public void A_producer_failure_leaves_no_file_behind()
    {
        using var temp = new TempDirectory();
        var model = OnnxModelFactory.CreateLinear();
        var w = model.Graph.Initializer.Single(t => t.Name == "W");
        var failing = new PayloadGroup([w], [48], () => throw new IOException("No space left on device"));
        string output = Path.Combine(temp.FullPath, "model.onnx");

        Assert.Throws<IOException>(() => StreamingModelWriter.Write(model, [failing], output));
        Assert.Empty(Directory.GetFiles(temp.FullPath));
    }

    [Fact]
    public void A_payload_of_the_wrong_length_is_refused()
    {
        using var temp = new TempDirectory();
        var model = OnnxModelFactory.CreateLinear();
        var w = model.Graph.Initializer.Single(t => t.Name == "W");
        var wrong = new PayloadGroup([w], [48], () =>
        {
            var payloads = new NativePayloads();
            payloads.Add(40);
            return payloads;
        });

        Assert.Throws<InvalidOperationException>(() => StreamingModelWriter.Write(model, [wrong], Path.Combine(temp.FullPath, "m.onnx")));
        Assert.Empty(Directory.GetFiles(temp.FullPath));
    }

    [Theory]
    [InlineData(1, 1000, 1)]     // one producer at a time
    [InlineData(2, 1000, 2)]     // at most two at a time, however many may wait for the writer
    [InlineData(4, 100, 1)]      // 100-byte groups under a 100-byte budget: one in flight at a time
    [InlineData(4, 250, 2)]
    public void Producers_run_at_most_the_degree_of_parallelism_at_once_and_the_bytes_in_flight_stay_bounded(int parallelism, long budget, int maxConcurrent)
    {
        using var temp = new TempDirectory();
        var model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        int running = 0, mostRunning = 0, alive = 0, mostAlive = 0;
        var groups = new List<PayloadGroup>();
        for (int i = 0; i < 24; i++)
        {
            var header = new TensorProto { Name = $"t{i}", DataType = (int)TensorProto.Types.DataType.Uint8 };
            header.Dims.Add(4);
            model.Graph.Initializer.Add(header);
            byte value = (byte)i;
            groups.Add(new PayloadGroup([header], [4], () =>
            {
                Track(ref mostRunning, Interlocked.Increment(ref running));
                Thread.Sleep(2);
                Interlocked.Decrement(ref running);
                Track(ref mostAlive, Interlocked.Increment(ref alive));
                return new CountedPayload([value, value, value, value], () => Interlocked.Decrement(ref alive));
            }, workingSetBytes: 100));
        }

        string output = Path.Combine(temp.FullPath, "m.onnx");
        StreamingModelWriter.Write(model, groups, output, new ModelWriteOptions { MaxDegreeOfParallelism = parallelism, MaxBytesInFlight = budget });

        Assert.True(mostRunning <= maxConcurrent, $"{mostRunning} producers ran at once");
        Assert.True(mostAlive <= Math.Max(1, budget / 100), $"{mostAlive} groups were held at once");
        Assert.Equal(0, alive);
        var written = OnnxModelLoader.Load(output).Proto.Graph.Initializer;
        Assert.All(written, t => Assert.Equal(Enumerable.Repeat((byte)int.Parse(t.Name[1..]), 4), t.RawData.ToByteArray()));
    }

    private static void Track(ref int most, int now)
    {
        for (int seen = Volatile.Read(ref most); now > seen; seen = Volatile.Read(ref most))
            Interlocked.CompareExchange(ref most, now, seen);
    }

    private sealed class CountedPayload(byte[] bytes, Action disposed) : ProducedPayloads
    {
        public override ReadOnlySpan<byte> Get(int index) => bytes;

        public override void Dispose()
        {
            disposed();
            base.Dispose();
        }
    }
}
