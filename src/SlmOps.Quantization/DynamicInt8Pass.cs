using System.Runtime.InteropServices;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization;

/// <summary>
/// int8 dynamic quantization: weights per output channel (column of B) in int8 or uint8, activations quantized per
/// tensor at run time by <c>DynamicQuantizeLinear</c> (once per distinct activation, shared by the nodes that read it).
/// QOperator form: <c>MatMulInteger</c> → <c>Cast</c> → <c>Mul</c> by <c>a_scale · b_scale</c>. QDQ form:
/// <c>DequantizeLinear</c> on both sides of a float <c>MatMul</c>. Only standard ONNX operators, so any runtime runs it;
/// ONNX Runtime fuses both forms into its integer kernels.
/// </summary>
internal static class DynamicInt8Pass
{
    private const long MinimumOpset = 13; // per-channel DequantizeLinear (axis) and per-column MatMulInteger zero points

    public static void Apply(QuantizationContext context)
    {
        if (context.DefaultOpset < MinimumOpset)
        {
            throw new QuantizationException(QuantizationErrorCodes.OpsetTooOld, context.Source.FilePath,
                $"The model uses opset {context.DefaultOpset}; int8 dynamic quantization needs opset {MinimumOpset} or newer (per-channel DequantizeLinear). Convert the model (onnx.version_converter) or use int4 / int8-weight.");
        }

        var scheme = context.Options.ResolvedInt8Weights;
        bool signed = scheme is Int8Scheme.Signed or Int8Scheme.SignedReducedRange;
        var activations = new Dictionary<string, (string Quantized, string Scale, string ZeroPoint, string? Dequantized)>(StringComparer.Ordinal);
        var weights = new Dictionary<(string, bool), (string Values, string Scales, string ZeroPoints)>();

        var candidates = WeightCandidates.Find(context);
        foreach (var candidate in candidates)
        {
            var node = candidate.Node;
            string a = node.Input[0];
            string label = WeightCandidates.NodeName(node);
            var nodes = new List<NodeProto>();
            if (!activations.TryGetValue(a, out var act))
            {
                act = (context.UniqueName(a + "_quantized"), context.UniqueName(a + "_scale"), context.UniqueName(a + "_zero_point"), null);
                nodes.Add(Node("DynamicQuantizeLinear", context.UniqueName(a + "_QuantizeLinear"), [a], [act.Quantized, act.Scale, act.ZeroPoint]));
                activations[a] = act;
            }

            var key = (candidate.Weight.Name, candidate.Transposed);
            if (!weights.TryGetValue(key, out var w))
            {
                w = AddWeight(context, candidate, scheme, signed);
                weights.Add(key, w);
            }

            string output = node.Output[0];
            string? matMulOutput = candidate.Bias is null ? output : context.UniqueName(output + "_no_bias");
            if (context.Options.Int8Format == Int8Format.QOperator)
            {
                string integer = context.UniqueName(output + "_int32");
                string asFloat = context.UniqueName(output + "_float");
                string scale = context.UniqueName(output + "_scale");
                nodes.Add(Node("MatMulInteger", context.UniqueName(label + "_MatMulInteger"), [act.Quantized, w.Values, act.ZeroPoint, w.ZeroPoints], [integer]));
                var cast = Node("Cast", context.UniqueName(label + "_Cast"), [integer], [asFloat]);
                cast.Attribute.Add(WeightCandidates.Int("to", (long)DataType.Float));
                nodes.Add(cast);
                nodes.Add(Node("Mul", context.UniqueName(label + "_scale_Mul"), [act.Scale, w.Scales], [scale]));
                nodes.Add(Node("Mul", context.UniqueName(label + "_Mul"), [asFloat, scale], [matMulOutput]));
            }
            else
            {
                if (act.Dequantized is null)
                {
                    act.Dequantized = context.UniqueName(a + "_dequantized");
                    nodes.Add(Node("DequantizeLinear", context.UniqueName(a + "_DequantizeLinear"), [act.Quantized, act.Scale, act.ZeroPoint], [act.Dequantized]));
                    activations[a] = act;
                }
                string dequantizedWeight = context.UniqueName(candidate.Weight.Name + "_dequantized");
                var dq = Node("DequantizeLinear", context.UniqueName(label + "_weight_DequantizeLinear"), [w.Values, w.Scales, w.ZeroPoints], [dequantizedWeight]);
                dq.Attribute.Add(WeightCandidates.Int("axis", 1));
                nodes.Add(dq);
                nodes.Add(Node("MatMul", node.Name, [act.Dequantized, dequantizedWeight], [matMulOutput]));
            }

            if (candidate.Bias is not null) nodes.Add(Node("Add", context.UniqueName(label + "_bias_Add"), [matMulOutput, candidate.Bias.Name], [output]));
            WeightCandidates.Replace(context.Graph, node, [.. nodes]);
        }
        context.RemoveUnused(candidates.Select(c => c.Weight));
    }

    private static (string Values, string Scales, string ZeroPoints) AddWeight(QuantizationContext context, WeightCandidate candidate, Int8Scheme scheme, bool signed)
    {
        var weight = candidate.Weight;
        int k = checked((int)candidate.K), n = checked((int)candidate.N);
        var type = signed ? DataType.Int8 : DataType.Uint8;
        var values = context.NewHeader(weight.Name + "_quantized", type, k, n);
        var scales = context.NewHeader(weight.Name + "_scale", DataType.Float, n);
        var zeroPoints = context.NewHeader(weight.Name + "_zero_point", type, n);
        long[] lengths = [(long)k * n, n * 4L, n];
        var report = context.Report(candidate, $"int8 dynamic {context.Options.Int8Format} per-channel {scheme}", lengths.Sum());
        context.Add(new PayloadGroup([values, scales, zeroPoints], lengths, () =>
        {
            using var matrix = WeightMatrix.Read(context, weight, k, n, candidate.Transposed);
            var output = new PooledPayloads();
            var q = output.Add((long)k * n);
            var s = MemoryMarshal.Cast<byte, float>(output.Add(n * 4L));
            var z = output.Add(n);
            try
            {
                ChannelQuantizer.Quantize(matrix.Values, k, n, 1, scheme, q, s, z);
            }
            catch (NonFiniteWeightException ex)
            {
                output.Dispose();
                throw context.NonFinite(weight, ex);
            }
            report.Sparsity = matrix.Sparsity;
            return output;
        }, workingSetBytes: (long)k * n * 4 + lengths.Sum()));
        return (values.Name, scales.Name, zeroPoints.Name);
    }

    private static NodeProto Node(string op, string name, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        return node;
    }
}
