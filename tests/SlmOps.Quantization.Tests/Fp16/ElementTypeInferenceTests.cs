using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Fp16;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;
using static SlmOps.Quantization.Tests.Fp16.Fp16TestSupport;

namespace SlmOps.Quantization.Tests.Fp16;

public class ElementTypeInferenceTests
{
    private const int Int64 = (int)DataType.Int64;
    private const int Bool = (int)DataType.Bool;

    [Fact]
    public void Infer_AppliesOperatorRules()
    {
        var graph = new GraphProto { Name = "rules" };
        graph.Input.Add(Value("x", DataType.Float, 2, 3));
        graph.Input.Add(Value("ids", DataType.Int64, 2));
        graph.Initializer.Add(FloatTensor("scale", [0.5f], []));
        graph.Initializer.Add(new TensorProto { Name = "zp", DataType = (int)DataType.Int8 });
        graph.Node.Add(Node("Shape", "shape", ["x"], ["s"]));
        graph.Node.Add(Node("Gather", "gather", ["s", "ids"], ["g"]));
        graph.Node.Add(Node("Cast", "cast", ["g"], ["gf"], IntAttr("to", (int)DataType.Double)));
        graph.Node.Add(Node("Greater", "gt", ["x", "scale"], ["mask"]));
        graph.Node.Add(Node("Where", "where", ["mask", "x", "x"], ["w"]));
        graph.Node.Add(Node("TopK", "topk", ["x", "ids"], ["values", "indices"]));
        graph.Node.Add(Node("ConstantOfShape", "zeros", ["s"], ["z"]));
        graph.Node.Add(Node("ConstantOfShape", "ones", ["s"], ["o"], TensorAttr("value", Int64Tensor("one", [1], [1]))));
        graph.Node.Add(Node("Constant", "c", [], ["c"], IntAttr("value_int", 3)));
        graph.Node.Add(Node("QuantizeLinear", "q", ["x", "scale", "zp"], ["xq"]));
        graph.Node.Add(Node("DequantizeLinear", "dq", ["xq", "scale", "zp"], ["xdq"]));
        graph.Node.Add(Node("DynamicQuantizeLinear", "dql", ["x"], ["y8", "ys", "yzp"]));
        graph.Node.Add(Node("MatMulInteger", "mmi", ["y8", "y8"], ["acc"]));
        graph.Node.Add(Node("RandomNormalLike", "noise", ["x"], ["n"], IntAttr("dtype", (int)DataType.Float16)));
        graph.Node.Add(Node("Relu", "relu", ["w"], ["r"]));
        graph.Node.Add(Node("LayerNormalization", "ln", ["x", "scale", "scale"], ["ln", "ln_mean", "ln_inv_std"]));
        graph.Node.Add(Node("SplitToSequence", "split", ["x"], ["seq"]));
        graph.Node.Add(Node("SequenceAt", "at", ["seq", "ids"], ["part"]));

        var types = ElementTypeInference.Infer(graph);

        Assert.Equal(Int64, types["s"]);
        Assert.Equal(Int64, types["g"]);
        Assert.Equal((int)DataType.Double, types["gf"]);
        Assert.Equal(Bool, types["mask"]);
        Assert.Equal(F32, types["w"]);
        Assert.Equal(F32, types["values"]);
        Assert.Equal(Int64, types["indices"]);
        Assert.Equal(F32, types["z"]);
        Assert.Equal(Int64, types["o"]);
        Assert.Equal(Int64, types["c"]);
        Assert.Equal((int)DataType.Int8, types["xq"]);
        Assert.Equal(F32, types["xdq"]);
        Assert.Equal((int)DataType.Uint8, types["y8"]);
        Assert.Equal(F32, types["ys"]);
        Assert.Equal((int)DataType.Int32, types["acc"]);
        Assert.Equal(F16, types["n"]);
        Assert.Equal(F32, types["r"]);
        Assert.Equal(F32, types["ln_mean"]);
        Assert.Equal(ElementTypeInference.NotATensor, types["seq"]);
        Assert.Equal(F32, types["part"]);
    }

    [Fact]
    public void Infer_UsesDeclaredTypesForUnknownOps_AndSubgraphOutputsForIf()
    {
        var graph = new GraphProto { Name = "declared" };
        graph.Input.Add(Value("x", DataType.Float, 4));
        graph.Input.Add(Value("cond", DataType.Bool));
        var custom = Node("Tokenize", "custom", ["x"], ["tokens"]);
        custom.Domain = "custom.ops";
        graph.Node.Add(custom);
        graph.Node.Add(Node("MysteryOp", "mystery", ["x"], ["guess"]));
        graph.ValueInfo.Add(Value("tokens", DataType.Int32, 4));

        var branch = new GraphProto { Name = "then" };
        branch.Output.Add(Value("branch_out", DataType.Int64));
        var ifNode = Node("If", "if", ["cond"], ["chosen"]);
        ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = branch });
        ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = branch.Clone() });
        graph.Node.Add(ifNode);

        var types = ElementTypeInference.Infer(graph);

        Assert.Equal((int)DataType.Int32, types["tokens"]);
        Assert.Equal(F32, types["guess"]); // no rule, nothing declared: input 0's type
        Assert.Equal(Int64, types["chosen"]);
    }

    [Fact]
    public void Infer_SeesOuterScope()
    {
        var graph = new GraphProto { Name = "body" };
        graph.Node.Add(Node("Neg", "neg", ["outer"], ["negated"]));

        var types = ElementTypeInference.Infer(graph, new Dictionary<string, int> { ["outer"] = F16 });

        Assert.Equal(F16, types["negated"]);
    }
}
