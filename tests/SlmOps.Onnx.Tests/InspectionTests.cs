using Google.Protobuf;
using SlmOps.Contracts;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Onnx.Tests;

public sealed class InspectionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModelInspection Inspect(ModelProto proto) =>
        OnnxModelLoader.Load(OnnxModelFactory.Write(_temp.FullPath, model: proto)).Inspect();

    [Fact]
    public void Built_model_reports_io_with_symbolic_batch_dim()
    {
        var inspection = Inspect(OnnxModelFactory.CreateLinear());

        var input = Assert.Single(inspection.Inputs);
        Assert.Equal(("x", "float", "[batch, 4]"), (input.Name, input.ElementType, input.ShapeText));
        Assert.Equal([Dimension.Symbolic("batch"), Dimension.Fixed(4)], input.Shape!);
        var output = Assert.Single(inspection.Outputs);
        Assert.Equal(("y", "float", "[batch, 3]"), (output.Name, output.ElementType, output.ShapeText));
        Assert.Equal(8, inspection.IrVersion);
        Assert.Equal([new OpsetImport("ai.onnx", 17)], inspection.Opsets);
        Assert.Equal(("SlmOps.Testing", "1.0"), (inspection.ProducerName, inspection.ProducerVersion));
    }

    [Fact]
    public void Inputs_that_are_initializers_are_left_out()
    {
        var inspection = Inspect(OnnxModelFactory.CreateLinear(new LinearModelOptions { ListInitializersAsInputs = true }));

        Assert.Equal(["x"], inspection.Inputs.Select(i => i.Name));
    }

    [Fact]
    public void Initializer_bytes_count_raw_and_typed_payloads_by_type()
    {
        var inspection = Inspect(OnnxModelFactory.CreateLinear());

        Assert.Equal(2, inspection.InitializerCount);
        Assert.Equal(48 + 12, inspection.InitializerBytes);
        Assert.Equal([new InitializerSummary("float", 2, 60)], inspection.InitializersByType);
    }

    [Fact]
    public void Initializer_bytes_use_element_size_for_int32_data_of_narrow_types()
    {
        var proto = OnnxModelFactory.CreateLinear();
        var half = new TensorProto { Name = "H", DataType = (int)DataType.Float16 };
        half.Dims.Add(5);
        half.Int32Data.Add([1, 2, 3, 4, 5]);
        var ids = new TensorProto { Name = "I", DataType = (int)DataType.Int64 };
        ids.Dims.Add(2);
        ids.Int64Data.Add([7, 8]);
        proto.Graph.Initializer.Add([half, ids]);

        var inspection = Inspect(proto);

        Assert.Equal(60 + 10 + 16, inspection.InitializerBytes);
        Assert.Equal(
            [new InitializerSummary("float", 2, 60), new InitializerSummary("float16", 1, 10), new InitializerSummary("int64", 1, 16)],
            inspection.InitializersByType);
    }

    [Fact]
    public void Op_histogram_counts_nodes_in_subgraphs()
    {
        var inspection = Inspect(OnnxModelFactory.CreateLinear(new LinearModelOptions { AddIfSubgraph = true }));

        Assert.Equal(
            [new OperatorCount("ai.onnx", "Constant", 3), new OperatorCount("ai.onnx", "Add", 2),
             new OperatorCount("ai.onnx", "If", 1), new OperatorCount("ai.onnx", "MatMul", 1)],
            inspection.Operators);
        Assert.Equal(7, inspection.NodeCount);
    }

    [Fact]
    public void Op_histogram_keeps_custom_domains_apart()
    {
        var proto = OnnxModelFactory.CreateLinear();
        proto.Graph.Node.Add(OnnxModelFactory.Node("MatMulNBits", "q", ["x"], ["q"], domain: "com.microsoft"));

        var inspection = Inspect(proto);

        Assert.Contains(inspection.Operators, o => o.Key == "com.microsoft:MatMulNBits" && o.Count == 1);
        Assert.Contains(inspection.Operators, o => o.Key == "ai.onnx:MatMul" && o.Count == 1);
    }

    [Fact]
    public void External_data_bytes_come_from_the_references()
    {
        var inspection = OnnxModelLoader.Load(OnnxModelFactory.WriteWithExternalData(_temp.FullPath)).Inspect();

        Assert.Equal(60, inspection.InitializerBytes);
        Assert.Equal([new ExternalDataSummary("weights/w.bin", 48, 48, 1), new ExternalDataSummary("b.bin", 28, 12, 1)], inspection.ExternalDataFiles);
    }

    [Fact]
    public void Unknown_and_unnamed_dims_are_unknown()
    {
        var proto = OnnxModelFactory.CreateLinear();
        proto.Graph.Output[0] = OnnxModelFactory.TensorValue("y", DataType.Float, "", OnnxModelFactory.OutFeatures);
        proto.Graph.Output[0].Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension());

        var output = Inspect(proto).Outputs.Single();

        Assert.Equal([Dimension.Unknown, Dimension.Fixed(3), Dimension.Unknown], output.Shape!);
        Assert.Equal("[?, 3, ?]", output.ShapeText);
    }

    [Theory]
    [InlineData(new[] { "input_ids", "attention_mask" }, new[] { "logits", "present.0.key" }, "causal-lm")]
    [InlineData(new[] { "input_ids", "attention_mask" }, new[] { "last_hidden_state" }, "embedding")]
    [InlineData(new[] { "input_ids" }, new[] { "output" }, "embedding")]
    [InlineData(new[] { "pixel_values" }, new[] { "sentence_embedding" }, "embedding")]
    [InlineData(new[] { "pixel_values" }, new[] { "embeddings" }, "embedding")]
    [InlineData(new[] { "pixel_values" }, new[] { "logits" }, "generic")]
    [InlineData(new[] { "x" }, new[] { "y" }, "generic")]
    public void Kind_is_detected_from_io_names(string[] inputs, string[] outputs, string expected)
    {
        Assert.Equal(expected, ModelInspection.DetectKind(inputs, outputs));
    }

    [Fact]
    public void Contract_resolves_auto_and_keeps_an_explicit_kind()
    {
        var proto = OnnxModelFactory.CreateLinear(new LinearModelOptions { InputName = "input_ids", OutputName = "logits" });
        var inspection = Inspect(proto);

        var auto = inspection.ToContract("Lm", "App.Models", "auto", "abc");
        var explicitKind = inspection.ToContract("Lm", "App.Models", "generic");

        Assert.Equal(("Lm", "App.Models", "causal-lm", "abc"), (auto.Name, auto.Namespace, auto.Kind, auto.SourceSha256));
        Assert.Equal("generic", explicitKind.Kind);
        Assert.Equal(inspection.Sha256, explicitKind.SourceSha256);
        Assert.Equal([new TensorContract("input_ids", "float", [Dimension.Symbolic("batch"), Dimension.Fixed(4)])], auto.Inputs);
        Assert.Equal(ContractJson.Read(ContractJson.Write(auto)), auto);
    }

    [Fact]
    public void Sequence_output_is_SLM2008_in_the_contract_but_inspectable()
    {
        var proto = OnnxModelFactory.CreateLinear();
        proto.Graph.Output.Add(new ValueInfoProto
        {
            Name = "tokens",
            Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Int64 } } } },
        });
        var inspection = Inspect(proto);

        var ex = Assert.Throws<OnnxModelException>(() => inspection.ToContract("M", "N"));

        Assert.Equal("seq(tensor(int64))", inspection.Outputs[1].Type);
        Assert.Equal("SLM2008", ex.Code);
        Assert.Contains("tokens", ex.Message);
    }

    [Fact]
    public void Tensor_output_without_shape_is_SLM2008_in_the_contract()
    {
        var proto = OnnxModelFactory.CreateLinear();
        proto.Graph.Output[0].Type.TensorType.Shape = null;

        var ex = Assert.Throws<OnnxModelException>(() => Inspect(proto).ToContract("M", "N"));

        Assert.Equal("SLM2008", ex.Code);
    }
}
