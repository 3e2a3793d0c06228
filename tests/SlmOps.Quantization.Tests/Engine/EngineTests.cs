using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using SlmOps.Quantization.Tests.Kernels;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Tests.Engine;

/// <summary>The engine end to end on models built here: graph rewrites, run by ONNX Runtime, and bad input.</summary>
public sealed class EngineTests : IDisposable
{
    private const int K = 96, N = 40;
    private readonly TempDirectory _temp = new("slmops-engine");

    public void Dispose() => _temp.Dispose();

    /// <summary>y = relu(x · W1 + b) · W2 (MatMul, Add, Relu, Gemm with transB), plus a MatMul with a computed B.</summary>
    private static ModelProto BuildModel(float[]? w1 = null)
    {
        var random = new Random(7);
        w1 ??= Enumerable.Range(0, K * N).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var w2 = Enumerable.Range(0, N * N).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var bias = Enumerable.Range(0, N).Select(i => i * 0.01f).ToArray();

        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(Value("x", "batch", K));
        graph.Output.Add(Value("y", "batch", N));
        graph.Output.Add(Value("z", "batch", "batch"));
        graph.Initializer.Add(Tensor("W1", w1, K, N));
        graph.Initializer.Add(Tensor("W2", w2, N, N)); // used by Gemm with transB = 1: stored [N_out, K_in]
        graph.Initializer.Add(Tensor("b", bias, N));
        graph.Initializer.Add(Tensor("c", bias, N));
        graph.Node.Add(Node("MatMul", "mm1", ["x", "W1"], ["h"]));
        graph.Node.Add(Node("Add", "add", ["h", "b"], ["hb"]));
        graph.Node.Add(Node("Relu", "relu", ["hb"], ["r"]));
        var gemm = Node("Gemm", "gemm", ["r", "W2", "c"], ["y"]);
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        var transpose = Node("Transpose", "t", ["y"], ["yt"]);
        graph.Node.Add(transpose);
        graph.Node.Add(Node("MatMul", "mm_dynamic", ["y", "yt"], ["z"]));

        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "test" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    private string Write(ModelProto model, string name = "model.onnx")
    {
        string path = _temp.Combine(name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static float[] Run(string path, float[] x, string output = "y")
    {
        using var session = new InferenceSession(path);
        var input = NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [x.Length / K, K]));
        using var results = session.Run([input], [output]);
        return results[0].AsTensor<float>().ToArray();
    }

    private static float[] Input(int rows = 3) => Enumerable.Range(0, rows * K).Select(i => MathF.Sin(i * 0.37f)).ToArray();

    [Theory]
    [InlineData(Precision.Int4, true, 0.12)]
    [InlineData(Precision.Int4, false, 0.12)]
    [InlineData(Precision.Int8Weight, true, 0.01)]
    [InlineData(Precision.Int8, true, 0.03)]
    [InlineData(Precision.Fp16, true, 0.01)]
    public void Every_precision_gives_a_model_that_ONNX_Runtime_runs_close_to_the_original(Precision precision, bool symmetric, double tolerance)
    {
        string source = Write(BuildModel());
        string target = _temp.Combine(precision + ".onnx");
        var result = ModelQuantizer.Quantize(source, target, new QuantizationOptions { Precision = precision, Symmetric = symmetric });

        var x = Input();
        double error = KernelModels.RelativeError(Run(source, x), Run(target, x));
        Assert.True(error < tolerance, $"relative error {error}");
        if (precision != Precision.Fp16)
        {
            Assert.Equal(["W1", "W2"], result.Tensors.Select(t => t.Name));
            Assert.Contains(result.Messages, m => m.Text.Contains("MatMul 'mm_dynamic' left as is", StringComparison.Ordinal));
            Assert.True(result.InitializerBytesAfter < result.InitializerBytesBefore);
        }
    }

    [Theory]
    [InlineData(Precision.Int4, true, 0.12)]
    [InlineData(Precision.Int4, false, 0.12)]
    [InlineData(Precision.Int8Weight, true, 0.01)]
    [InlineData(Precision.Int8Weight, false, 0.01)]
    public void Embedding_tables_become_GatherBlockQuantized_that_ONNX_Runtime_runs(Precision precision, bool symmetric, double tolerance)
    {
        const int vocabulary = 50, width = 64;
        var random = new Random(3);
        var table = Enumerable.Range(0, vocabulary * width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var graph = new GraphProto { Name = "embedding" };
        var ids = new ValueInfoProto { Name = "ids", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Int64, Shape = new TensorShapeProto() } } };
        ids.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "n" });
        graph.Input.Add(ids);
        graph.Output.Add(Value("e", "n", width));
        graph.Initializer.Add(Tensor("table", table, vocabulary, width));
        graph.Node.Add(Node("Gather", "embed", ["table", "ids"], ["e"]));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        string source = Write(model, "embedding.onnx");
        string target = _temp.Combine($"embedding-{precision}-{symmetric}.onnx");

        var result = ModelQuantizer.Quantize(source, target, new QuantizationOptions { Precision = precision, Symmetric = symmetric, QuantizeEmbeddings = true });

        Assert.Contains(OnnxModelLoader.Load(target).Proto.Graph.Node, n => n.OpType == "GatherBlockQuantized");
        Assert.StartsWith("GatherBlockQuantized", Assert.Single(result.Tensors).Format, StringComparison.Ordinal);
        long[] indices = [0, 7, 49, 7, 23];
        float[] Lookup(string path)
        {
            using var session = new InferenceSession(path);
            using var input = OrtValue.CreateTensorValueFromMemory(indices, [indices.Length]);
            using var outputs = session.Run(new RunOptions(), ["ids"], [input], ["e"]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        Assert.True(KernelModels.RelativeError(Lookup(source), Lookup(target)) < tolerance);
    }

    [Theory]
    [InlineData(Int8Format.QOperator, "MatMulInteger")]
    [InlineData(Int8Format.Qdq, "DequantizeLinear")]
    public void Int8_dynamic_writes_the_chosen_form_and_shares_one_activation_quantizer(Int8Format format, string op)
    {
        var model = BuildModel();
        // A second MatMul on the same activation must reuse its DynamicQuantizeLinear.
        model.Graph.Node.Add(Node("MatMul", "mm_shared", ["x", "W1"], ["h2"]));
        model.Graph.Output.Add(Value("h2", "batch", N));
        string source = Write(model);
        string target = _temp.Combine("int8.onnx");
        ModelQuantizer.Quantize(source, target, new QuantizationOptions { Precision = Precision.Int8, Int8Format = format });

        var graph = OnnxModelLoader.Load(target).Proto.Graph;
        Assert.Contains(graph.Node, n => n.OpType == op);
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "DynamicQuantizeLinear")); // x, and r (Gemm's input)
        Assert.Single(graph.Initializer, t => t.Name.StartsWith("W1_quantized", StringComparison.Ordinal));
        var x = Input();
        Assert.True(KernelModels.RelativeError(Run(source, x, "h2"), Run(target, x, "h2")) < 0.03);
    }

    [Theory]
    [InlineData("x64", Int8Scheme.Unsigned)]
    [InlineData(null, Int8Scheme.Unsigned)]
    [InlineData("arm64", Int8Scheme.Signed)]
    public void The_int8_weight_scheme_defaults_to_the_safe_choice_for_the_target(string? arch, Int8Scheme expected) =>
        Assert.Equal(expected, new QuantizationOptions { TargetArchitecture = arch }.ResolvedInt8Weights);

    [Fact]
    public void Quantizing_twice_gives_identical_bytes()
    {
        string source = Write(BuildModel());
        ModelQuantizer.Quantize(source, _temp.Combine("a.onnx"), new QuantizationOptions { Precision = Precision.Int4, Write = new ModelWriteOptions { MaxDegreeOfParallelism = 1 } });
        ModelQuantizer.Quantize(source, _temp.Combine("b.onnx"), new QuantizationOptions { Precision = Precision.Int4, Write = new ModelWriteOptions { MaxDegreeOfParallelism = 4 } });
        Assert.Equal(File.ReadAllBytes(_temp.Combine("a.onnx")), File.ReadAllBytes(_temp.Combine("b.onnx")));
    }

    [Fact]
    public void Include_exclude_and_minimum_size_select_the_weights()
    {
        string source = Write(BuildModel());
        var excluded = ModelQuantizer.Quantize(source, _temp.Combine("e.onnx"), new QuantizationOptions { Exclude = ["gemm"] });
        Assert.Equal(["W1"], excluded.Tensors.Select(t => t.Name));
        var included = ModelQuantizer.Quantize(source, _temp.Combine("i.onnx"), new QuantizationOptions { Include = ["W?"], Exclude = ["W1"] });
        Assert.Equal(["W2"], included.Tensors.Select(t => t.Name));
        var big = ModelQuantizer.Quantize(source, _temp.Combine("m.onnx"), new QuantizationOptions { MinimumElements = K * N });
        Assert.Equal(["W1"], big.Tensors.Select(t => t.Name));

        var none = ModelQuantizer.Quantize(source, _temp.Combine("n.onnx"), new QuantizationOptions { Include = ["nothing*"] });
        Assert.Empty(none.Tensors);
        Assert.Contains(none.Messages, m => m.Level == MessageLevel.Warning && m.Code == QuantizationErrorCodes.NothingQuantized);
    }

    [Theory]
    [InlineData("0.5", 0.5)]
    [InlineData("2:4", 0.5)]
    public void Pruning_reports_the_sparsity_reached_and_the_model_still_runs(string setting, double sparsity)
    {
        string source = Write(BuildModel());
        foreach (var precision in new[] { Precision.Fp32, Precision.Int4, Precision.Fp16 })
        {
            string target = _temp.Combine($"pruned-{precision}.onnx");
            var result = ModelQuantizer.Quantize(source, target, new QuantizationOptions { Precision = precision, Pruning = Pruning.Parse(setting) });
            Assert.All(result.Tensors, t => Assert.Equal(sparsity, t.Sparsity!.Value, 2));
            Assert.Equal(N, Run(target, Input()).Length / 3);
        }

        var fp32 = OnnxModelLoader.Load(_temp.Combine("pruned-Fp32.onnx"));
        var w1 = fp32.Proto.Graph.Initializer.Single(t => t.Name == "W1");
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(w1.RawData.Span);
        Assert.Equal(K * N / 2, values.ToArray().Count(v => v == 0));
    }

    [Fact]
    public void A_NaN_weight_is_SLM3002_naming_the_tensor_and_leaves_no_output()
    {
        var w1 = new float[K * N];
        w1[77] = float.NaN;
        string source = Write(BuildModel(w1));
        string target = _temp.Combine("out", "nan.onnx");
        var ex = Assert.Throws<QuantizationException>(() => ModelQuantizer.Quantize(source, target, new QuantizationOptions()));
        Assert.Equal(QuantizationErrorCodes.NonFiniteWeight, ex.Code);
        Assert.Contains("'W1'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("77", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_temp.Combine("out")));
    }

    [Fact]
    public void An_already_quantized_model_is_SLM3003()
    {
        string source = Write(BuildModel());
        string int4 = _temp.Combine("int4.onnx");
        ModelQuantizer.Quantize(source, int4, new QuantizationOptions());
        var ex = Assert.Throws<QuantizationException>(() => ModelQuantizer.Quantize(int4, _temp.Combine("again.onnx"), new QuantizationOptions { Precision = Precision.Int8 }));
        Assert.Equal(QuantizationErrorCodes.AlreadyQuantized, ex.Code);
        Assert.Contains("MatMulNBits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_over_the_input_is_SLM3007()
    {
        string source = Write(BuildModel());
        var ex = Assert.Throws<QuantizationException>(() => ModelQuantizer.Quantize(source, source, new QuantizationOptions()));
        Assert.Equal(QuantizationErrorCodes.OutputOverwritesInput, ex.Code);
    }

    [Fact]
    public void An_unwritable_output_folder_is_SLM3004_and_leaves_nothing()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root") return; // permissions do not bind there
        string source = Write(BuildModel());
        string folder = _temp.CreateDirectory("readonly");
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var ex = Assert.Throws<QuantizationException>(() => ModelQuantizer.Quantize(source, Path.Combine(folder, "m.onnx"), new QuantizationOptions()));
            Assert.Equal(QuantizationErrorCodes.OutputWriteFailed, ex.Code);
            Assert.Empty(Directory.GetFiles(folder));
        }
        finally
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void Bad_settings_are_SLM3001()
    {
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, Assert.Throws<QuantizationException>(() => new QuantizationOptions { BlockSize = 48 }.Validate()).Code);
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, Assert.Throws<QuantizationException>(() => Pruning.Parse("1.5")).Code);
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, Assert.Throws<QuantizationException>(() => QuantizationNames.ParsePrecision("int3")).Code);
    }

    [Fact]
    public void A_model_with_external_data_in_several_files_is_read_and_written_as_one_data_file()
    {
        string source = OnnxModelFactory.WriteWithExternalData(_temp.CreateDirectory("ext"));
        string target = _temp.Combine("ext-out", "model.onnx");
        var result = ModelQuantizer.Quantize(source, target, new QuantizationOptions
        {
            Precision = Precision.Fp32,
            Write = new ModelWriteOptions { ExternalData = ExternalDataMode.Always, ExternalDataMinimumBytes = 1 },
        });
        Assert.Equal(target + ".data", result.DataPath);
        using var session = new InferenceSession(target);
        var x = new DenseTensor<float>(new float[] { 1, 2, 3, 4 }, [1, 4]);
        using var y = session.Run([NamedOnnxValue.CreateFromTensor("x", x)]);
        Assert.Equal(3, y[0].AsTensor<float>().Length);
    }

    private static ValueInfoProto Value(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = shape } } };
    }

    private static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(OnnxModelFactory.FloatBytes(values)) };
        t.Dims.Add(dims);
        return t;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.Add(inputs);
        n.Output.Add(outputs);
        return n;
    }
}
