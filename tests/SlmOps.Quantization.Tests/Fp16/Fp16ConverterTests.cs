using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Fp16;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;
using static SlmOps.Quantization.Tests.Fp16.Fp16TestSupport;

namespace SlmOps.Quantization.Tests.Fp16;

public class Fp16ConverterTests
{
    // ---- models -----------------------------------------------------------------------------------------------

    /// <summary>y = Relu(x·W1 + B1)·W2 + B2, x: [2, 8], y: [2, 4].</summary>
    private static ModelProto Mlp()
    {
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(Value("x", DataType.Float, "batch", 8));
        graph.Output.Add(Value("y", DataType.Float, "batch", 4));
        graph.Initializer.Add(FloatTensor("W1", Values(8 * 16, 0.5f, 1), [8, 16]));
        graph.Initializer.Add(FloatTensor("B1", Values(16, 0.5f, 2), [16], floatData: true));
        graph.Initializer.Add(FloatTensor("W2", Values(16 * 4, 0.5f, 3), [16, 4]));
        graph.Initializer.Add(FloatTensor("B2", Values(4, 0.5f, 4), [4]));
        graph.Node.Add(Node("MatMul", "mm1", ["x", "W1"], ["h1"]));
        graph.Node.Add(Node("Add", "add1", ["h1", "B1"], ["a1"]));
        graph.Node.Add(Node("Relu", "relu", ["a1"], ["r1"]));
        graph.Node.Add(Node("MatMul", "mm2", ["r1", "W2"], ["h2"]));
        graph.Node.Add(Node("Add", "add2", ["h2", "B2"], ["y"]));
        graph.ValueInfo.Add(Value("h1", DataType.Float, "batch", 16));
        return NewModel(graph);
    }

    private static ModelInput MlpInput() => new("x", Values(2 * 8, 2f, 10), [2, 8]);

    /// <summary>
    /// LayerNorm decomposed the way PyTorch exports it (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add),
    /// fed values whose deviations reach ±400: squares up to 160,000 and a variance near 50,000–90,000, past float16's 65,504.
    /// </summary>
    private static ModelProto LayerNormDecomposition()
    {
        var graph = new GraphProto { Name = "layernorm" };
        graph.Input.Add(Value("x", DataType.Float, 2, 16));
        graph.Output.Add(Value("y", DataType.Float, 2, 16));
        graph.Initializer.Add(FloatTensor("two", [2f], []));
        graph.Initializer.Add(FloatTensor("eps", [1e-5f], []));
        graph.Initializer.Add(FloatTensor("gamma", Values(16, 1f, 5).Select(v => 1 + v * 0.5f).ToArray(), [16]));
        graph.Initializer.Add(FloatTensor("beta", Values(16, 0.5f, 6), [16]));
        graph.Node.Add(Node("ReduceMean", "mean", ["x"], ["mu"], IntsAttr("axes", -1)));
        graph.Node.Add(Node("Sub", "center", ["x", "mu"], ["d"]));
        graph.Node.Add(Node("Pow", "square", ["d", "two"], ["sq"]));
        graph.Node.Add(Node("ReduceMean", "variance", ["sq"], ["var"], IntsAttr("axes", -1)));
        graph.Node.Add(Node("Add", "add_eps", ["var", "eps"], ["var_eps"]));
        graph.Node.Add(Node("Sqrt", "std", ["var_eps"], ["sd"]));
        graph.Node.Add(Node("Div", "normalize", ["d", "sd"], ["n"]));
        graph.Node.Add(Node("Mul", "scale", ["n", "gamma"], ["ng"]));
        graph.Node.Add(Node("Add", "shift", ["ng", "beta"], ["y"]));
        return NewModel(graph);
    }

    private static ModelInput LayerNormInput()
    {
        // Row 0 centered near 300 with ±400 deviations, row 1 near -250 with ±300.
        var x = new float[32];
        for (int i = 0; i < 16; i++)
        {
            x[i] = 300 + 400 * MathF.Sin(i * 1.3f);
            x[16 + i] = -250 + 300 * MathF.Cos(i * 0.7f);
        }
        return new ModelInput("x", x, [2, 16]);
    }

    // ---- tests ------------------------------------------------------------------------------------------------

    [Fact]
    public void MatMulAddReluChain_RunsInFloat16_WithFloat32Io()
    {
        var original = Mlp();
        var (converted, result) = ConvertFully(original);

        Assert.Equal(["W1", "B1", "W2", "B2"], result.ConvertedInitializers);
        Assert.Equal(5, result.NodesConverted);
        Assert.Equal(0, result.NodesKeptFloat32);
        Assert.Equal(2, result.CastsInserted);
        Assert.Equal(1, CountCasts(converted, F16)); // x → fp16
        Assert.Equal(1, CountCasts(converted, F32)); // fp16 → y
        Assert.Equal("x_to_fp16", converted.Graph.Node[0].Name);
        Assert.Equal("y_to_fp32", converted.Graph.Node[^1].Name);
        Assert.Equal(["y_fp16"], NodeNamed(converted, "add2").Output);
        Assert.All(converted.Graph.Initializer, t => Assert.Equal(F16, t.DataType));
        Assert.Equal(F32, converted.Graph.Input[0].Type.TensorType.ElemType);
        Assert.Equal(F32, converted.Graph.Output[0].Type.TensorType.ElemType);
        Assert.Equal(F16, converted.Graph.ValueInfo.Single(v => v.Name == "h1").Type.TensorType.ElemType);
        AssertTopologicallySorted(converted);

        var expected = Run(original, MlpInput())["y"];
        var actual = Run(converted, MlpInput())["y"];
        Assert.Equal(TensorElementType.Float, actual.Type);
        AssertClose(expected.Values, actual.Values);
    }

    [Fact]
    public void KeepIoTypesFalse_DeclaresFloat16InputsAndOutputs()
    {
        var original = Mlp();
        var (converted, result) = ConvertFully(original, new Fp16Options { KeepIoTypes = false });

        Assert.Equal(0, result.CastsInserted);
        Assert.Equal(F16, converted.Graph.Input[0].Type.TensorType.ElemType);
        Assert.Equal(F16, converted.Graph.Output[0].Type.TensorType.ElemType);
        Assert.DoesNotContain(converted.Graph.Node, n => n.OpType == "Cast");

        var input = MlpInput();
        var halfInput = new ModelInput("x", ((float[])input.Data).Select(v => (Half)v).ToArray(), input.Shape);
        var expected = Run(original, input)["y"];
        var actual = Run(converted, halfInput)["y"];
        Assert.Equal(TensorElementType.Float16, actual.Type);
        AssertClose(expected.Values, actual.Values);

        // A float32 (blocked) reader of a float16 graph input gets a Cast to float32.
        var layerNorm = LayerNormDecomposition();
        var (lnConverted, lnResult) = ConvertFully(layerNorm, new Fp16Options { KeepIoTypes = false });
        Assert.Equal(["x_to_fp32"], NodeNamed(lnConverted, "mean").Input);
        Assert.Equal(["x", "mu_to_fp16"], NodeNamed(lnConverted, "center").Input);
        Assert.Equal(["y"], NodeNamed(lnConverted, "shift").Output);
        Assert.Equal(4, lnResult.CastsInserted); // x → fp32, mu → fp16, d → fp32, sd → fp16; none at the edges
        var lnInput = LayerNormInput();
        var lnHalfInput = new ModelInput("x", ((float[])lnInput.Data).Select(v => (Half)v).ToArray(), lnInput.Shape);
        AssertClose(Run(layerNorm, lnInput)["y"].Values, Run(lnConverted, lnHalfInput)["y"].Values, rtol: 2e-2f, atol: 2e-2f);
    }

    [Fact]
    public void LayerNormDecomposition_WithValuesPastFloat16Range_StaysAccurate()
    {
        var original = LayerNormDecomposition();
        var (converted, result) = ConvertFully(original);

        // ReduceMean ×2 and Pow are blocked; Add(eps) and Sqrt follow them in float32; Sub, Div, Mul, Add(beta) run in float16.
        Assert.Equal(5, result.NodesKeptFloat32);
        Assert.Equal(4, result.NodesConverted);
        Assert.Equal(["gamma", "beta"], result.ConvertedInitializers);
        foreach (string name in new[] { "mean", "square", "variance", "add_eps", "std" })
            Assert.DoesNotContain(NodeNamed(converted, name).Input, i => i.EndsWith("_fp16", StringComparison.Ordinal));
        Assert.Equal(["d_to_fp32", "two"], NodeNamed(converted, "square").Input);
        Assert.Equal(["d", "sd_to_fp16"], NodeNamed(converted, "normalize").Input);
        AssertTopologicallySorted(converted);

        var input = LayerNormInput();
        var expected = Run(original, input)["y"].Values;
        var actual = Run(converted, input)["y"].Values;
        Assert.Contains(expected, v => Math.Abs(v) > 1f); // a real normalization, not all zeros
        AssertClose(expected, actual, rtol: 2e-2f, atol: 2e-2f);

        // ONNX Runtime's CPU provider runs float16 regions in float32, so it cannot show float16 overflow; a float16-faithful
        // evaluation can. It agrees with ONNX Runtime on the reference, keeps the converted graph accurate, and shows that
        // the same graph without the blocked ops, or without the float32 follow rule, overflows (output → beta).
        float[] x = (float[])input.Data;
        AssertClose(expected, Fp16ReferenceEvaluator.Run(original, "x", x, [2, 16], "y"), 1e-4f, 1e-4f);
        AssertClose(expected, Fp16ReferenceEvaluator.Run(converted, "x", x, [2, 16], "y"), rtol: 2e-2f, atol: 2e-2f);

        var (unblocked, _) = ConvertFully(original, new Fp16Options { BlockedOps = new HashSet<string>() });
        var (notExtended, _) = ConvertFully(original, new Fp16Options { ExtendFloat32Regions = false });
        Assert.True(WorstError(expected, Fp16ReferenceEvaluator.Run(unblocked, "x", x, [2, 16], "y")) > 10, "fp16 Pow should overflow");
        Assert.True(WorstError(expected, Fp16ReferenceEvaluator.Run(notExtended, "x", x, [2, 16], "y")) > 10, "the variance cast back to fp16 should overflow");
    }

    [Fact]
    public void Int64ShapeArithmetic_IsLeftUntouched()
    {
        // y = Reshape(Relu(x), [Shape(x)[0], -1]) · W, with x: [2, 3, 4] and W: [12, 5].
        var graph = new GraphProto { Name = "shapes" };
        graph.Input.Add(Value("x", DataType.Float, "batch", 3, 4));
        graph.Output.Add(Value("y", DataType.Float, "batch", 5));
        graph.Output.Add(Value("shape", DataType.Int64, 2));
        graph.Initializer.Add(Int64Tensor("zero", [0], []));
        graph.Initializer.Add(Int64Tensor("axes0", [0], [1]));
        graph.Initializer.Add(Int64Tensor("minus_one", [-1], [1]));
        graph.Initializer.Add(FloatTensor("W", Values(12 * 5, 0.5f, 7), [12, 5]));
        graph.Node.Add(Node("Shape", "shape_of_x", ["x"], ["x_shape"]));
        graph.Node.Add(Node("Gather", "batch_dim", ["x_shape", "zero"], ["batch"], IntAttr("axis", 0)));
        graph.Node.Add(Node("Unsqueeze", "batch_1d", ["batch", "axes0"], ["batch_1d"]));
        graph.Node.Add(Node("Concat", "target_shape", ["batch_1d", "minus_one"], ["shape"], IntAttr("axis", 0)));
        graph.Node.Add(Node("Relu", "relu", ["x"], ["r"]));
        graph.Node.Add(Node("Reshape", "flatten", ["r", "shape"], ["flat"]));
        graph.Node.Add(Node("MatMul", "project", ["flat", "W"], ["y"]));
        var original = NewModel(graph);

        var (converted, result) = ConvertFully(original);

        Assert.Equal(["W"], result.ConvertedInitializers);
        Assert.Equal(3, result.NodesConverted); // Relu, Reshape, MatMul
        Assert.Equal(2, result.CastsInserted);
        Assert.Equal(["x"], NodeNamed(converted, "shape_of_x").Input); // Shape reads the float32 input: no Cast
        foreach (string name in new[] { "batch_dim", "batch_1d", "target_shape" })
            Assert.Equal(original.Graph.Node.Single(n => n.Name == name), NodeNamed(converted, name));
        Assert.All(converted.Graph.Initializer.Where(t => t.Name != "W"), t => Assert.Equal((int)DataType.Int64, t.DataType));
        Assert.Equal(["x_to_fp16"], NodeNamed(converted, "relu").Input);
        Assert.Equal(["r", "shape"], NodeNamed(converted, "flatten").Input);

        var input = new ModelInput("x", Values(24, 3f, 11), [2, 3, 4]);
        var expected = Run(original, input);
        var actual = Run(converted, input);
        AssertClose(expected["y"].Values, actual["y"].Values);
        Assert.Equal(expected["shape"].Values, actual["shape"].Values);
    }

    [Fact]
    public void Constants_AreConverted_HugeValuesClamped_InfinitiesKept()
    {
        // y = Softmax(scores + (1 - Cast(mask)) · -3.4e38) · big_scale + Max(scores, -inf) · small, with constants as nodes.
        var graph = new GraphProto { Name = "constants" };
        graph.Input.Add(Value("scores", DataType.Float, 2, 4));
        graph.Input.Add(Value("mask", DataType.Int64, 2, 4));
        graph.Output.Add(Value("y", DataType.Float, 2, 4));
        graph.Node.Add(Node("Constant", "one", [], ["one"], TensorAttr("value", FloatTensor("one", [1f], []))));
        graph.Node.Add(Node("Constant", "min_value", [], ["min_value"], TensorAttr("value", FloatTensor("min_value", [-3.4028235e38f], [], floatData: true))));
        graph.Node.Add(Node("Constant", "neg_inf", [], ["neg_inf"], TensorAttr("value", FloatTensor("neg_inf", [float.NegativeInfinity], []))));
        graph.Node.Add(Node("Constant", "factors", [], ["factors"],
            new AttributeProto { Name = "value_floats", Type = AttributeProto.Types.AttributeType.Floats, Floats = { 1e6f, 0.5f, -70000f, 2f } }));
        graph.Node.Add(Node("Constant", "small", [], ["small"],
            new AttributeProto { Name = "value_float", Type = AttributeProto.Types.AttributeType.Float, F = 1e-3f }));
        graph.Node.Add(Node("Cast", "mask_float", ["mask"], ["mask_f"], IntAttr("to", F32)));
        graph.Node.Add(Node("Sub", "invert", ["one", "mask_f"], ["inv"]));
        graph.Node.Add(Node("Mul", "mask_bias", ["inv", "min_value"], ["bias"]));
        graph.Node.Add(Node("Add", "masked", ["scores", "bias"], ["masked_scores"]));
        graph.Node.Add(Node("Softmax", "softmax", ["masked_scores"], ["p"], IntAttr("axis", -1)));
        graph.Node.Add(Node("Max", "floor", ["scores", "neg_inf"], ["floored"]));
        graph.Node.Add(Node("Mul", "shrink", ["floored", "small"], ["shrunk"]));
        graph.Node.Add(Node("Add", "combine", ["p", "shrunk"], ["combined"]));
        graph.Node.Add(Node("Sign", "sign", ["factors"], ["factor_signs"]));
        graph.Node.Add(Node("Mul", "apply_signs", ["combined", "factor_signs"], ["y"]));
        var original = NewModel(graph);

        var (converted, result) = ConvertFully(original);

        Assert.Empty(result.ConvertedInitializers);
        Assert.Equal(3, result.ConstantsClamped); // -3.4e38, 1e6, -70000
        Assert.Equal(0, result.NodesKeptFloat32);
        Assert.Equal(F16, NodeNamed(converted, "mask_float").Attribute.Single().I);
        Assert.Equal(Half.MinValue, ConstantValues(converted, "min_value").Single());
        Assert.Equal(Half.NegativeInfinity, ConstantValues(converted, "neg_inf").Single());
        Assert.Equal([Half.MaxValue, (Half)0.5f, Half.MinValue, (Half)2f], ConstantValues(converted, "factors"));
        Assert.Equal((Half)1e-3f, ConstantValues(converted, "small").Single());
        Assert.Empty(NodeNamed(converted, "small").Attribute.Single().T.Dims); // value_float → scalar tensor

        var inputs = new[]
        {
            new ModelInput("scores", new[] { 1f, 2f, 3f, -1f, 0.5f, -0.5f, 4f, 2f }, [2, 4]),
            new ModelInput("mask", new long[] { 1, 1, 0, 1, 1, 0, 1, 1 }, [2, 4]),
        };
        var expected = Run(original, inputs)["y"].Values;
        var actual = Run(converted, inputs)["y"].Values;
        AssertClose(expected, actual);
    }

    [Fact]
    public void InitializerShared_WithBlockedNode_StaysFloat32_WithOneCast()
    {
        // s = ReduceSum(W) (blocked); h = MatMul(x, W); h2 = MatMul(h, W); y = h2 + s.
        var graph = new GraphProto { Name = "shared" };
        graph.Input.Add(Value("x", DataType.Float, 3, 4));
        graph.Output.Add(Value("y", DataType.Float, 3, 4));
        graph.Initializer.Add(FloatTensor("W", Values(16, 1f, 8), [4, 4]));
        graph.Initializer.Add(FloatTensor("V", Values(16, 1f, 9), [4, 4]));
        graph.Node.Add(Node("ReduceSum", "column_sums", ["W"], ["s"], IntAttr("keepdims", 1)));
        graph.Node.Add(Node("MatMul", "mm1", ["x", "W"], ["h"]));
        graph.Node.Add(Node("MatMul", "mm2", ["h", "W"], ["h2"]));
        graph.Node.Add(Node("MatMul", "mm3", ["h2", "V"], ["h3"]));
        graph.Node.Add(Node("Add", "add", ["h3", "s"], ["y"]));
        var original = NewModel(graph);
        // ReduceSum-13 takes axes as an input; without it, it reduces all axes. Use axes [0] to keep a [1, 4] row.
        original.Graph.Initializer.Add(Int64Tensor("axes", [0], [1]));
        original.Graph.Node[0].Input.Add("axes");

        var (converted, result) = ConvertFully(original);

        Assert.Equal(["V"], result.ConvertedInitializers);
        Assert.Equal(F32, converted.Graph.Initializer.Single(t => t.Name == "W").DataType);
        Assert.Equal(1, result.NodesKeptFloat32);
        var castsOfW = converted.Graph.Node.Where(n => n.OpType == "Cast" && n.Input[0] == "W").ToList();
        Assert.Single(castsOfW);
        Assert.Equal("W_to_fp16", castsOfW[0].Output[0]);
        Assert.Equal(["x_to_fp16", "W_to_fp16"], NodeNamed(converted, "mm1").Input);
        Assert.Equal(["h", "W_to_fp16"], NodeNamed(converted, "mm2").Input);
        Assert.Equal(["W", "axes"], NodeNamed(converted, "column_sums").Input);
        Assert.Equal(["h3", "s_to_fp16"], NodeNamed(converted, "add").Input);
        Assert.Equal(4, result.CastsInserted); // x, W, s → fp16; y → fp32
        AssertTopologicallySorted(converted);

        var input = new ModelInput("x", Values(12, 1f, 12), [3, 4]);
        AssertClose(Run(original, input)["y"].Values, Run(converted, input)["y"].Values, rtol: 2e-2f, atol: 2e-2f);
    }

    [Fact]
    public void UnselectedNode_StaysFloat32_AndFloat32ChainFollows()
    {
        var original = Mlp();
        var (converted, result) = ConvertFully(original, selected: n => n.Name != "mm2");

        // mm2 excluded; add2 reads only mm2's float32 result (and B2), so it follows in float32: no Cast back and forth.
        Assert.Equal(["W1", "B1"], result.ConvertedInitializers);
        Assert.Equal(3, result.NodesConverted);
        Assert.Equal(2, result.NodesKeptFloat32);
        Assert.Equal(2, result.CastsInserted);
        Assert.Equal(["r1_to_fp32", "W2"], NodeNamed(converted, "mm2").Input);
        Assert.Equal(["h2", "B2"], NodeNamed(converted, "add2").Input);
        Assert.Equal(["y"], NodeNamed(converted, "add2").Output);
        AssertTopologicallySorted(converted);

        AssertClose(Run(original, MlpInput())["y"].Values, Run(converted, MlpInput())["y"].Values);

        // Without the follow rule add2 runs in float16 and the output needs a Cast back.
        var (strict, strictResult) = ConvertFully(original, new Fp16Options { ExtendFloat32Regions = false }, n => n.Name != "mm2");
        Assert.Equal(4, strictResult.CastsInserted);
        Assert.Equal(["B1", "B2"], strictResult.ConvertedInitializers.Where(n => n.StartsWith('B')));
        AssertClose(Run(original, MlpInput())["y"].Values, Run(strict, MlpInput())["y"].Values);
    }

    [Fact]
    public void IfNode_StaysFloat32_AndOuterValuesReachItsBranchesAsFloat32()
    {
        // y = If(cond) { h · 2 } else { h · -1 }, h = x · W computed in float16 and read implicitly by both branches.
        var graph = new GraphProto { Name = "if_outer" };
        graph.Input.Add(Value("x", DataType.Float, 2, 4));
        graph.Input.Add(Value("cond", DataType.Bool));
        graph.Output.Add(Value("y", DataType.Float, 2, 3));
        graph.Initializer.Add(FloatTensor("W", Values(12, 1f, 13), [4, 3]));
        graph.Node.Add(Node("MatMul", "mm", ["x", "W"], ["h"]));
        var ifNode = Node("If", "branch", ["cond"], ["y"]);
        ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = ScaleBranch("then", 2f) });
        ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = ScaleBranch("else", -1f) });
        graph.Node.Add(ifNode);
        var original = NewModel(graph);

        var (converted, result) = ConvertFully(original);

        Assert.Equal(1, result.NodesConverted);
        Assert.Equal(1, result.NodesKeptFloat32);
        Assert.Equal(["W"], result.ConvertedInitializers);
        var branch = NodeNamed(converted, "branch");
        Assert.Equal(["h_to_fp32", "then_factor"], branch.Attribute[0].G.Node.Single(n => n.OpType == "Mul").Input);
        Assert.Equal(["h_to_fp32", "else_factor"], branch.Attribute[1].G.Node.Single(n => n.OpType == "Mul").Input);
        Assert.Equal(F32, branch.Attribute[0].G.Node.Single(n => n.OpType == "Constant").Attribute[0].T.DataType); // subgraphs untouched
        AssertTopologicallySorted(converted);

        var x = new ModelInput("x", Values(8, 1f, 14), [2, 4]);
        foreach (bool c in new[] { true, false })
        {
            var expected = RunWithBool(original, x, c);
            var actual = RunWithBool(converted, x, c);
            AssertClose(expected, actual);
        }

        static GraphProto ScaleBranch(string name, float factor)
        {
            var g = new GraphProto { Name = name };
            g.Node.Add(Node("Constant", name + "_factor", [], [name + "_factor"], TensorAttr("value", FloatTensor(name + "_factor_value", [factor], []))));
            g.Node.Add(Node("Mul", name + "_mul", ["h", name + "_factor"], [name + "_out"]));
            g.Output.Add(Value(name + "_out", DataType.Float, 2, 3));
            return g;
        }
    }

    [Fact]
    public void FactoryIfSubgraphModel_RunsAfterConversion()
    {
        var original = OnnxModelFactory.CreateLinear(new LinearModelOptions { AddIfSubgraph = true, Opset = 13 });
        var (converted, result) = ConvertFully(original);

        Assert.Equal(["W", "B"], result.ConvertedInitializers);
        Assert.Contains(converted.Graph.Node, n => n.OpType == "Cast" && n.Input[0] == "offset"); // If output → fp16 for the Add
        var input = new ModelInput("x", Values(8, 1f, 15), [2, 4]);
        AssertClose(Run(original, input)["y"].Values, Run(converted, input)["y"].Values);
    }

    [Fact]
    public void StreamedInitializers_OnlyChangeTheirDataType()
    {
        var model = OnnxModelFactory.CreateLinear(new LinearModelOptions { Opset = 13 });
        var w = model.Graph.Initializer.Single(t => t.Name == "W");
        OnnxModelFactory.MakeExternal(w, "weights/w.bin", 0, 48); // no payload loaded: the engine streams it
        var externalBefore = w.ExternalData.Clone();
        var bBefore = model.Graph.Initializer.Single(t => t.Name == "B").FloatData.ToArray();

        var result = Fp16Converter.Convert(model, Fp16Options.Default);

        Assert.Equal(["W", "B"], result.ConvertedInitializers);
        Assert.Equal(F16, w.DataType);
        Assert.Equal(externalBefore, w.ExternalData);
        Assert.True(w.RawData.IsEmpty);
        var b = model.Graph.Initializer.Single(t => t.Name == "B");
        Assert.Equal(F16, b.DataType);
        Assert.Equal(bBefore, b.FloatData); // payload untouched, even inline
    }

    [Fact]
    public void SequenceNodes_StayFloat32_ConstantOfShapeBecomesFloat16()
    {
        // parts = SplitToSequence(Relu(x)); y = SequenceAt(parts, 1) + ConstantOfShape(Shape(W)) + W.
        var graph = new GraphProto { Name = "sequences" };
        graph.Input.Add(Value("x", DataType.Float, 4, 3));
        graph.Output.Add(Value("y", DataType.Float, 2, 3));
        graph.Initializer.Add(FloatTensor("W", Values(6, 1f, 16), [2, 3]));
        graph.Initializer.Add(Int64Tensor("one", [1], []));
        graph.Node.Add(Node("Relu", "relu", ["x"], ["r"]));
        graph.Node.Add(Node("SplitToSequence", "split", ["r"], ["parts"], IntAttr("axis", 0), IntAttr("keepdims", 1)));
        graph.Node.Add(Node("SplitToSequence", "split2", ["r", "two_rows"], ["pairs"], IntAttr("axis", 0)));
        graph.Node.Add(Node("SequenceAt", "second", ["pairs", "one"], ["pair"]));
        graph.Node.Add(Node("Shape", "w_shape", ["W"], ["ws"]));
        graph.Node.Add(Node("ConstantOfShape", "zeros", ["ws"], ["z"]));
        graph.Node.Add(Node("Add", "add_zero", ["pair", "z"], ["pz"]));
        graph.Node.Add(Node("Add", "add_w", ["pz", "W"], ["y"]));
        graph.Initializer.Add(Int64Tensor("two_rows", [2], []));
        var original = NewModel(graph);

        var (converted, result) = ConvertFully(original);

        Assert.Equal(3, result.NodesKeptFloat32); // the two SplitToSequence and SequenceAt
        Assert.Equal(["r_to_fp32", "two_rows"], NodeNamed(converted, "split2").Input);
        Assert.Equal(["pair_to_fp16", "z"], NodeNamed(converted, "add_zero").Input);
        Assert.Equal(["W"], NodeNamed(converted, "w_shape").Input);
        var zeros = NodeNamed(converted, "zeros").Attribute.Single(a => a.Name == "value").T;
        Assert.Equal(F16, zeros.DataType);
        Assert.Equal(new byte[2], zeros.RawData.ToByteArray());
        Assert.Equal(["W"], result.ConvertedInitializers);
        AssertTopologicallySorted(converted);

        var input = new ModelInput("x", Values(12, 2f, 17), [4, 3]);
        AssertClose(Run(original, input)["y"].Values, Run(converted, input)["y"].Values);
    }

    [Fact]
    public void Conversion_IsDeterministic()
    {
        foreach (var build in new Func<ModelProto>[] { Mlp, LayerNormDecomposition })
        {
            byte[] first = ConvertFully(build()).Model.ToByteArray();
            byte[] second = ConvertFully(build()).Model.ToByteArray();
            Assert.Equal(first, second);
        }

        var selected = (Func<NodeProto, bool>)(n => n.Name != "mm2");
        Assert.Equal(ConvertFully(Mlp(), selected: selected).Model.ToByteArray(), ConvertFully(Mlp(), selected: selected).Model.ToByteArray());
    }

    [Fact]
    public void CastNames_AvoidCollisions()
    {
        var model = Mlp();
        // A value already called x_to_fp16 elsewhere in the graph.
        model.Graph.Node.Add(Node("Identity", "x_to_fp16", ["y"], ["x_to_fp16"]));
        model.Graph.Output.Add(Value("x_to_fp16", DataType.Float, "batch", 4));

        var (converted, _) = ConvertFully(model);

        Assert.Equal("x_to_fp16_1", converted.Graph.Node[0].Output[0]);
        AssertTopologicallySorted(converted);
        var outputs = Run(converted, MlpInput());
        AssertClose(outputs["y"].Values, outputs["x_to_fp16"].Values, 0, 0);
    }

    [Fact]
    public void OtherDomainsAndCustomBlockLists_StayFloat32()
    {
        var original = Mlp();
        var (converted, result) = ConvertFully(original, new Fp16Options { BlockedOps = new HashSet<string> { "Relu" } });

        Assert.Equal(1, result.NodesKeptFloat32);
        Assert.Equal(["a1_to_fp32"], NodeNamed(converted, "relu").Input);
        Assert.Equal(["r1_to_fp16", "W2"], NodeNamed(converted, "mm2").Input);
        AssertClose(Run(original, MlpInput())["y"].Values, Run(converted, MlpInput())["y"].Values);

        var custom = Mlp();
        custom.Graph.Node[2].Domain = "custom.domain";
        var customResult = Fp16Converter.Convert(custom, Fp16Options.Default);
        Assert.Equal(1, customResult.NodesKeptFloat32);
        Assert.Equal(["a1_to_fp32"], custom.Graph.Node.Single(n => n.Name == "relu").Input);
    }

    [Fact]
    public void DefaultBlockedOps_CoverTheNumericallyFragileOperators()
    {
        foreach (string op in new[] { "Resize", "TopK", "Range", "CumSum", "ReduceMean", "ReduceSum", "ReduceProd", "ReduceSumSquare",
                     "ReduceLogSum", "ReduceLogSumExp", "ReduceL1", "ReduceL2", "Pow", "Exp", "RandomNormal", "RandomUniform",
                     "RandomNormalLike", "RandomUniformLike", "NonMaxSuppression", "RoiAlign" })
        {
            Assert.Contains(op, Fp16Options.DefaultBlockedOps);
        }
        foreach (string op in new[] { "MatMul", "Softmax", "Sqrt", "Einsum", "LayerNormalization", "Gemm", "Add" })
            Assert.DoesNotContain(op, Fp16Options.DefaultBlockedOps);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static Half[] ConstantValues(ModelProto model, string nodeName)
    {
        var tensor = NodeNamed(model, nodeName).Attribute.Single(a => a.Name == "value").T;
        Assert.Equal(F16, tensor.DataType);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(tensor.RawData.Span).ToArray();
    }

    private static float[] RunWithBool(ModelProto model, ModelInput x, bool cond)
    {
        using var options = QuietOptions();
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model.ToByteArray(), options);
        using var xValue = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory((float[])x.Data, x.Shape);
        using var condValue = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new[] { cond }, Array.Empty<long>());
        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var outputs = session.Run(runOptions, ["x", "cond"], [xValue, condValue], ["y"]);
        Assert.Equal(TensorElementType.Float, outputs[0].GetTensorTypeAndShape().ElementDataType);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
