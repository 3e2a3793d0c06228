using Google.Protobuf;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;

namespace SlmOps.Onnx.Tests;

public sealed class LoaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static OnnxModelException LoadFails(string path) =>
        Assert.Throws<OnnxModelException>(() => OnnxModelLoader.Load(path));

    [Fact]
    public void Built_model_round_trips_byte_identical()
    {
        var original = OnnxModelFactory.CreateLinear(new LinearModelOptions { AddIfSubgraph = true }).ToByteArray();
        string path = _temp.Combine("linear.onnx");
        File.WriteAllBytes(path, original);

        var model = OnnxModelLoader.Load(path);

        Assert.Equal(original, model.Proto.ToByteArray());
    }

    [Fact]
    public void Saved_model_is_byte_identical_and_leaves_no_temp_files()
    {
        var proto = OnnxModelFactory.CreateLinear();
        string path = _temp.Combine("out", "saved.onnx");

        OnnxModelWriter.Save(proto, path);

        Assert.Equal(proto.ToByteArray(), File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_temp.Combine("out")));
    }

    [Fact]
    public void Load_computes_sha256_of_the_file()
    {
        string path = OnnxModelFactory.Write(_temp.FullPath);

        var model = OnnxModelLoader.Load(path);

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), model.Sha256);
        Assert.Equal(new FileInfo(path).Length, model.FileLength);
    }

    [Fact]
    public void Missing_file_is_SLM2001()
    {
        var ex = LoadFails(_temp.Combine("nope.onnx"));

        Assert.Equal("SLM2001", ex.Code);
        Assert.Equal(_temp.Combine("nope.onnx"), ex.FilePath);
    }

    [Fact]
    public void Text_file_is_SLM2002()
    {
        string path = _temp.Combine("readme.onnx");
        File.WriteAllText(path, "This is not a model, just some text.\n");

        Assert.Equal("SLM2002", LoadFails(path).Code);
    }

    [Fact]
    public void Empty_file_is_SLM2002()
    {
        string path = _temp.Combine("empty.onnx");
        File.WriteAllBytes(path, []);

        Assert.Equal("SLM2002", LoadFails(path).Code);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_bytes_are_SLM2002(int seed)
    {
        var bytes = new byte[4096];
        new Random(seed).NextBytes(bytes);
        string path = _temp.Combine("random.onnx");
        File.WriteAllBytes(path, bytes);

        Assert.Equal("SLM2002", LoadFails(path).Code);
    }

    [Fact]
    public void Protobuf_without_graph_is_SLM2002()
    {
        string path = _temp.Combine("nograph.onnx");
        File.WriteAllBytes(path, new ModelProto { IrVersion = 8, ProducerName = "x" }.ToByteArray());

        Assert.Equal("SLM2002", LoadFails(path).Code);
    }

    [Fact]
    public void Truncated_built_model_is_SLM2003()
    {
        var bytes = OnnxModelFactory.CreateLinear().ToByteArray();
        string path = _temp.Combine("cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);

        Assert.Equal("SLM2003", LoadFails(path).Code);
    }

    [Fact]
    public void Truncated_MiniLm_is_SLM2003()
    {
        string path = _temp.Combine("minilm-cut.onnx");
        using (var source = File.OpenRead(MiniLm.ModelPath))
        using (var target = File.Create(path))
        {
            var buffer = new byte[1 << 20];
            int read = source.Read(buffer);
            target.Write(buffer, 0, read);
        }

        var ex = LoadFails(path);

        Assert.Equal("SLM2003", ex.Code);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void IR_version_14_is_SLM2007()
    {
        string path = OnnxModelFactory.Write(_temp.FullPath, model: OnnxModelFactory.CreateLinear(new LinearModelOptions { IrVersion = 14 }));

        var ex = LoadFails(path);

        Assert.Equal("SLM2007", ex.Code);
        Assert.Contains("14", ex.Message);
    }

    [Fact]
    public void IR_version_13_loads()
    {
        string path = OnnxModelFactory.Write(_temp.FullPath, model: OnnxModelFactory.CreateLinear(new LinearModelOptions { IrVersion = 13 }));

        Assert.Equal(13, OnnxModelLoader.Load(path).Proto.IrVersion);
    }

    [Fact]
    public void External_data_in_several_files_loads_and_lists_the_files()
    {
        string path = OnnxModelFactory.WriteWithExternalData(_temp.FullPath);

        var model = OnnxModelLoader.Load(path);

        Assert.Collection(model.ExternalDataFiles,
            f => Assert.Equal(("weights/w.bin", 48L, 48L, _temp.Combine("weights", "w.bin")), (f.RelativePath, f.FileLength, f.BytesReferenced, f.FullPath)),
            f => Assert.Equal(("b.bin", 28L, 12L, _temp.Combine("b.bin")), (f.RelativePath, f.FileLength, f.BytesReferenced, f.FullPath)));
    }

    [Fact]
    public void External_tensor_payload_reads_through_the_model()
    {
        string path = OnnxModelFactory.WriteWithExternalData(_temp.FullPath);
        using var model = OnnxModelLoader.Load(path);
        var b = model.Proto.Graph.Initializer.Single(t => t.Name == "B");
        var data = model.GetTensorData(b);
        using var stream = model.OpenPayloadStream(b);
        var bytes = new byte[64];
        int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);

        Assert.Equal(TensorStorage.External, data.Storage);
        Assert.Equal(OnnxModelFactory.FloatBytes(OnnxModelFactory.Bias), bytes[..read]);
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("weights/../../outside.bin")]
    [InlineData("..\\outside.bin")]
    [InlineData("")]
    public void External_location_escaping_the_folder_is_SLM2004(string location)
    {
        string modelDir = _temp.CreateDirectory("model");
        File.WriteAllBytes(_temp.Combine("outside.bin"), new byte[64]);
        string path = OnnxModelFactory.WriteWithExternalData(modelDir, mutate: m =>
            SetLocation(m.Graph.Initializer.Single(t => t.Name == "W"), location));

        var ex = LoadFails(path);

        Assert.Equal("SLM2004", ex.Code);
        Assert.Equal(path, ex.FilePath);
    }

    [Fact]
    public void Absolute_external_location_is_SLM2004()
    {
        string outside = _temp.Combine("outside.bin");
        File.WriteAllBytes(outside, new byte[64]);
        string path = OnnxModelFactory.WriteWithExternalData(_temp.CreateDirectory("model"), mutate: m =>
            SetLocation(m.Graph.Initializer.Single(t => t.Name == "W"), outside));

        var ex = LoadFails(path);

        Assert.Equal("SLM2004", ex.Code);
        Assert.Contains("absolute", ex.Message);
    }

    [Fact]
    public void Symlink_resolving_outside_the_folder_is_SLM2004()
    {
        string modelDir = _temp.CreateDirectory("model");
        string outside = _temp.Combine("secret.bin");
        File.WriteAllBytes(outside, new byte[64]);
        string path = OnnxModelFactory.WriteWithExternalData(modelDir);
        File.Delete(Path.Combine(modelDir, "b.bin"));
        File.CreateSymbolicLink(Path.Combine(modelDir, "b.bin"), outside);

        var ex = LoadFails(path);

        Assert.Equal("SLM2004", ex.Code);
        Assert.Contains("symbolic link", ex.Message);
    }

    [Fact]
    public void Symlinked_folder_inside_the_model_folder_is_allowed()
    {
        string modelDir = _temp.CreateDirectory("model");
        string path = OnnxModelFactory.WriteWithExternalData(modelDir);
        Directory.Move(Path.Combine(modelDir, "weights"), Path.Combine(modelDir, "real-weights"));
        Directory.CreateSymbolicLink(Path.Combine(modelDir, "weights"), "real-weights");

        Assert.Equal(2, OnnxModelLoader.Load(path).ExternalDataFiles.Count);
    }

    [Fact]
    public void Escaping_location_inside_an_If_subgraph_constant_is_SLM2004()
    {
        var proto = OnnxModelFactory.CreateLinear(new LinearModelOptions { AddIfSubgraph = true });
        var ifNode = proto.Graph.Node.Single(n => n.OpType == "If");
        var constant = ifNode.Attribute.Single(a => a.Name == "else_branch").G.Node.Single().Attribute.Single().T;
        OnnxModelFactory.MakeExternal(constant, "../../etc/passwd", 0, 4);
        string path = OnnxModelFactory.Write(_temp.FullPath, model: proto);

        var ex = LoadFails(path);

        Assert.Equal("SLM2004", ex.Code);
        Assert.Contains("else_value", ex.Message);
    }

    [Fact]
    public void Missing_external_file_is_SLM2005()
    {
        string path = OnnxModelFactory.WriteWithExternalData(_temp.FullPath);
        File.Delete(_temp.Combine("weights", "w.bin"));

        var ex = LoadFails(path);

        Assert.Equal("SLM2005", ex.Code);
        Assert.Equal(_temp.Combine("weights", "w.bin"), ex.FilePath);
    }

    [Fact]
    public void External_file_shorter_than_offset_plus_length_is_SLM2005()
    {
        string path = OnnxModelFactory.WriteWithExternalData(_temp.FullPath);
        File.WriteAllBytes(_temp.Combine("b.bin"), new byte[20]);

        var ex = LoadFails(path);

        Assert.Equal("SLM2005", ex.Code);
        Assert.Contains("28", ex.Message);
    }

    [Fact]
    public void External_reference_without_length_is_checked_against_the_shape()
    {
        string path = OnnxModelFactory.WriteWithExternalData(_temp.FullPath, mutate: m =>
            OnnxModelFactory.MakeExternal(m.Graph.Initializer.Single(t => t.Name == "W"), "weights/w.bin", 4, null));

        Assert.Equal("SLM2005", LoadFails(path).Code);
    }

    [Fact]
    public void Non_numeric_external_offset_is_SLM2005()
    {
        string path = OnnxModelFactory.WriteWithExternalData(_temp.FullPath, mutate: m =>
            m.Graph.Initializer.Single(t => t.Name == "W").ExternalData.Single(e => e.Key == "offset").Value = "-1");

        Assert.Equal("SLM2005", LoadFails(path).Code);
    }

    private static void SetLocation(TensorProto tensor, string location) =>
        tensor.ExternalData.Single(e => e.Key == "location").Value = location;
}

public sealed class RecursionLimitTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Nesting_deeper_than_the_recursion_limit_is_SLM2002()
    {
        string path = OnnxModelFactory.Write(_temp.FullPath, model: OnnxModelFactory.CreateLinear(new LinearModelOptions { AddIfSubgraph = true }));

        var ex = Assert.Throws<OnnxModelException>(() => OnnxModelLoader.Load(path, new OnnxLoadOptions { RecursionLimit = 4 }));

        Assert.Equal("SLM2002", ex.Code);
        Assert.Contains("deeper than 4", ex.Message);
    }

    [Fact]
    public void A_custom_recursion_limit_parses_the_same_model()
    {
        string path = OnnxModelFactory.Write(_temp.FullPath, model: OnnxModelFactory.CreateLinear(new LinearModelOptions { AddIfSubgraph = true }));

        var model = OnnxModelLoader.Load(path, new OnnxLoadOptions { RecursionLimit = 20, ComputeSha256 = false });

        Assert.Equal(File.ReadAllBytes(path), Google.Protobuf.MessageExtensions.ToByteArray(model.Proto));
        Assert.Null(model.Sha256);
    }
}
