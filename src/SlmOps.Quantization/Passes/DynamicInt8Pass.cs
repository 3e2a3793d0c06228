using System.Runtime.InteropServices;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Passes;

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
        var activations = new Dictionary<string, (string Quantized, string Scale, string ZeroPoint, string? Dequantized)>(StringComparer.Ordinal);
        var weights = new Dictionary<(string, bool), (TensorProto Values, TensorProto Scales, TensorProto ZeroPoints)>();

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
                nodes.Add(WeightCandidates.Node("DynamicQuantizeLinear", context.UniqueName(a + "_QuantizeLinear"), [a], [act.Quantized, act.Scale, act.ZeroPoint]));
                activations[a] = act;
            }

            var key = (candidate.Weight.Name, candidate.Transposed);
            if (!weights.TryGetValue(key, out var w))
            {
                w = ChannelWeights.Add(context, candidate, scheme, $"int8 dynamic {context.Options.Int8Format} per-channel {scheme}");
                weights.Add(key, w);
            }

            string output = node.Output[0];
            string? matMulOutput = candidate.Bias is null ? output : context.UniqueName(output + "_no_bias");
            if (context.Options.Int8Format == Int8Format.QOperator)
            {
                string integer = context.UniqueName(output + "_int32");
                string asFloat = context.UniqueName(output + "_float");
                string scale = context.UniqueName(output + "_scale");
                nodes.Add(WeightCandidates.Node("MatMulInteger", context.UniqueName(label + "_MatMulInteger"), [act.Quantized, w.Values.Name, act.ZeroPoint, w.ZeroPoints.Name], [integer]));
                var cast = WeightCandidates.Node("Cast", context.UniqueName(label + "_Cast"), [integer], [asFloat]);
                cast.Attribute.Add(WeightCandidates.Int("to", (long)DataType.Float));
                nodes.Add(cast);
                nodes.Add(WeightCandidates.Node("Mul", context.UniqueName(label + "_scale_Mul"), [act.Scale, w.Scales.Name], [scale]));
                nodes.Add(WeightCandidates.Node("Mul", context.UniqueName(label + "_Mul"), [asFloat, scale], [matMulOutput]));
            }
            else
            {
                if (act.Dequantized is null)
                {
                    act.Dequantized = context.UniqueName(a + "_dequantized");
                    nodes.Add(WeightCandidates.Node("DequantizeLinear", context.UniqueName(a + "_DequantizeLinear"), [act.Quantized, act.Scale, act.ZeroPoint], [act.Dequantized]));
                    activations[a] = act;
                }
                string dequantizedWeight = context.UniqueName(candidate.Weight.Name + "_dequantized");
                var dq = WeightCandidates.Node("DequantizeLinear", context.UniqueName(label + "_weight_DequantizeLinear"), [w.Values.Name, w.Scales.Name, w.ZeroPoints.Name], [dequantizedWeight]);
                dq.Attribute.Add(WeightCandidates.Int("axis", 1));
                nodes.Add(dq);
                nodes.Add(WeightCandidates.Node("MatMul", node.Name, [act.Dequantized, dequantizedWeight], [matMulOutput]));
            }

            if (candidate.Bias is not null) nodes.Add(WeightCandidates.Node("Add", context.UniqueName(label + "_bias_Add"), [matMulOutput, candidate.Bias.Name], [output]));
            WeightCandidates.Replace(context.Graph, node, [.. nodes]);
        }
        context.RemoveUnused(candidates.Select(c => c.Weight));
    }
}
