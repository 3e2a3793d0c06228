using System.Buffers.Binary;
using Google.Protobuf;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Passes;

/// <summary>
/// Static QDQ (<see cref="Precision.Qdq"/>), the form NPU compilers (QNN, Vitis AI, OpenVINO NPU) and ONNX Runtime's
/// QDQ fusions consume: each selected MatMul/Gemm keeps its float operator, reads its activation through
/// <c>QuantizeLinear → DequantizeLinear</c> (per tensor, uint8 or uint16, scale and zero point from the calibrated
/// range) and its weight through a per-channel <c>DequantizeLinear</c> of an 8-bit initializer; its output gets a
/// Q/DQ pair too when its range is known. One pair per activation tensor, seen by every node that reads it.
/// </summary>
/// <remarks>
/// A tensor produced by a node is renamed at its producer (<c>T_QuantizeLinear_Input</c>) and the
/// <c>DequantizeLinear</c> writes <c>T</c> again, so every reader, subgraphs and graph outputs included, sees the
/// dequantized value. A graph input keeps its name: its <c>DequantizeLinear</c> writes <c>T_dequantized</c> and the
/// main graph's nodes read that. uint16 Q/DQ is standard ONNX only from opset 21; below it the activation pairs use
/// the <c>com.microsoft</c> QuantizeLinear/DequantizeLinear, which ONNX Runtime (CPU, QNN) runs at any opset.
/// </remarks>
internal static class StaticQdqPass
{
    private const long MinimumOpset = 13; // per-channel DequantizeLinear (axis)
    private const long Uint16Opset = 21; // uint16 in the standard QuantizeLinear/DequantizeLinear

    public static IReadOnlyList<string> Activations(IEnumerable<WeightCandidate> candidates)
    {
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            foreach (string name in new[] { candidate.Node.Input[0], candidate.Node.Output[0] })
            {
                if (name.Length > 0 && seen.Add(name)) names.Add(name);
            }
        }
        return names;
    }

    public static void Apply(QuantizationContext context)
    {
        var options = context.Options;
        var ranges = options.Ranges ?? throw new InvalidOperationException("Validate() requires ranges for qdq.");
        if (context.DefaultOpset < MinimumOpset)
        {
            throw new QuantizationException(QuantizationErrorCodes.OpsetTooOld, context.Source.FilePath,
                $"The model uses opset {context.DefaultOpset}; static QDQ needs opset {MinimumOpset} or newer (per-channel DequantizeLinear). Convert the model (onnx.version_converter) or use int4 / int8-weight.");
        }

        var candidates = WeightCandidates.Find(context);
        var missing = candidates.Select(c => c.Node.Input[0]).Distinct(StringComparer.Ordinal).Where(a => !ranges.ContainsKey(a)).ToList();
        if (missing.Count > 0)
        {
            string list = string.Join(", ", missing.Take(5).Select(m => $"'{m}'")) + (missing.Count > 5 ? $" and {missing.Count - 5} more" : "");
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, context.Source.FilePath,
                $"The calibration ranges have no entry for {missing.Count} activation(s) that static QDQ quantizes: {list}. Calibrate this model with the same include/exclude/minimum settings (the tensors StaticQdq.ActivationsToCalibrate lists).");
        }

        var rewriter = new Rewriter(context, ranges);
        // Names as the model had them: rewriting a graph input's readers renames later candidates' inputs.
        var tensors = candidates.Select(c => (Input: c.Node.Input[0], Output: c.Node.Output[0])).ToList();
        for (int i = 0; i < candidates.Count; i++) rewriter.Rewrite(candidates[i], tensors[i].Input, tensors[i].Output);
        context.RemoveUnused(candidates.Select(c => c.Weight));
        if (rewriter.ContribDomain) context.EnsureOpset("com.microsoft", 1);
        if (candidates.Count > 0)
        {
            context.Info($"qdq: {rewriter.ActivationCount} activation tensors quantized to {Name(options.ActivationType)} "
                + $"({(rewriter.ContribDomain ? "com.microsoft" : "ONNX")} QuantizeLinear/DequantizeLinear), {rewriter.WeightCount} weights to per-channel {Name(options.QdqWeights)}.");
        }
    }

    private static string Name(QdqActivationType type) => QuantizationNames.QdqActivationTypes[(int)type];

    private static string Name(QdqWeightType type) => QuantizationNames.QdqWeightTypes[(int)type];

    /// <summary>
    /// The per-tensor parameters of an activation range, asymmetric over [min(0, min), max(0, max)] so that 0 is
    /// exact: <c>scale = (high - low) / qmax</c>, <c>zeroPoint = round(-low / scale)</c> (half to even) clamped to
    /// [0, qmax]. A zero-width range gets scale 1 and zero point 0, as ONNX Runtime's quantizer does.
    /// </summary>
    internal static (float Scale, int ZeroPoint) ActivationParameters(ActivationRange range, int qmax)
    {
        double low = Math.Min(0.0, range.Min), high = Math.Max(0.0, range.Max);
        float scale = (float)((high - low) / qmax);
        if (!(scale > 0f) || !float.IsFinite(scale)) return (1f, 0);
        int zeroPoint = (int)Math.Clamp(Math.Round(-low / scale, MidpointRounding.ToEven), 0, qmax);
        return (scale, zeroPoint);
    }

    private sealed class Rewriter
    {
        private readonly QuantizationContext _context;
        private readonly ActivationRanges _ranges;
        private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _dequantized = new(StringComparer.Ordinal); // activation → what readers now read
        private readonly Dictionary<(string, bool), string> _weights = [];
        private readonly Int8Scheme _scheme;
        private readonly bool _uint16;
        private readonly string _domain;

        public Rewriter(QuantizationContext context, ActivationRanges ranges)
        {
            _context = context;
            _ranges = ranges;
            foreach (var node in context.Graph.Node)
            {
                foreach (string output in node.Output)
                {
                    if (output.Length > 0) _producers.TryAdd(output, node);
                }
            }
            _scheme = context.Options.QdqWeights == QdqWeightType.UInt8 ? Int8Scheme.Unsigned : Int8Scheme.Signed;
            _uint16 = context.Options.ActivationType == QdqActivationType.UInt16;
            ContribDomain = _uint16 && context.DefaultOpset < Uint16Opset;
            _domain = ContribDomain ? "com.microsoft" : "";
        }

        /// <summary>True when the activation pairs use the <c>com.microsoft</c> operators (uint16 below opset 21).</summary>
        public bool ContribDomain { get; }

        public int ActivationCount => _dequantized.Count;

        public int WeightCount => _weights.Count;

        public void Rewrite(WeightCandidate candidate, string input, string output)
        {
            var node = candidate.Node;
            QuantizeActivation(input, _ranges[input]);

            var key = (candidate.Weight.Name, candidate.Transposed);
            if (!_weights.TryGetValue(key, out string? weight))
            {
                weight = AddWeight(candidate);
                _weights.Add(key, weight);
            }
            node.Input[1] = weight;
            if (candidate.Transposed)
            {
                // The weight is written [K, N], so the Gemm no longer transposes it.
                var transB = WeightCandidates.Attribute(node, "transB")!;
                transB.I = 0;
            }

            if (_dequantized.ContainsKey(output)) return;
            if (_ranges.TryGetValue(output, out var range))
            {
                QuantizeActivation(output, range);
            }
            else
            {
                _context.Info($"{node.OpType} '{WeightCandidates.NodeName(node)}': its output '{output}' has no calibration range, so it stays float (only its input is quantized).");
            }
        }

        /// <summary>Puts one Q/DQ pair on <paramref name="tensor"/> (once); every main-graph reader then reads the dequantized value.</summary>
        private void QuantizeActivation(string tensor, ActivationRange range)
        {
            if (_dequantized.ContainsKey(tensor)) return;
            var graph = _context.Graph;
            var (scale, zeroPoint) = ActivationParameters(range, _uint16 ? ushort.MaxValue : byte.MaxValue);
            string scaleName = AddScalar(tensor + "_scale", DataType.Float, BitConverter.GetBytes(scale));
            byte[] zeroPointBytes = _uint16 ? new byte[2] : [(byte)zeroPoint];
            if (_uint16) BinaryPrimitives.WriteUInt16LittleEndian(zeroPointBytes, (ushort)zeroPoint);
            string zeroPointName = AddScalar(tensor + "_zero_point", _uint16 ? DataType.Uint16 : DataType.Uint8, zeroPointBytes);
            string quantized = _context.UniqueName(tensor + "_quantized");
            string qName = _context.UniqueName(tensor + "_QuantizeLinear");
            string dqName = _context.UniqueName(tensor + "_DequantizeLinear");

            if (_producers.TryGetValue(tensor, out var producer))
            {
                string input = _context.UniqueName(tensor + "_QuantizeLinear_Input");
                for (int i = 0; i < producer.Output.Count; i++)
                {
                    if (producer.Output[i] == tensor) producer.Output[i] = input;
                }
                int at = graph.Node.IndexOf(producer) + 1;
                graph.Node.Insert(at, WeightCandidates.Node("QuantizeLinear", qName, [input, scaleName, zeroPointName], [quantized], _domain));
                graph.Node.Insert(at + 1, WeightCandidates.Node("DequantizeLinear", dqName, [quantized, scaleName, zeroPointName], [tensor], _domain));
                _dequantized.Add(tensor, tensor);
                return;
            }

            // A graph input (or a constant): readers are pointed at the dequantized copy.
            string dequantized = _context.UniqueName(tensor + "_dequantized");
            int first = -1;
            for (int n = 0; n < graph.Node.Count; n++)
            {
                var reader = graph.Node[n];
                for (int i = 0; i < reader.Input.Count; i++)
                {
                    if (reader.Input[i] != tensor) continue;
                    reader.Input[i] = dequantized;
                    if (first < 0) first = n;
                }
            }
            graph.Node.Insert(first, WeightCandidates.Node("QuantizeLinear", qName, [tensor, scaleName, zeroPointName], [quantized], _domain));
            graph.Node.Insert(first + 1, WeightCandidates.Node("DequantizeLinear", dqName, [quantized, scaleName, zeroPointName], [dequantized], _domain));
            _dequantized.Add(tensor, dequantized);
        }

        private string AddScalar(string hint, DataType type, byte[] bytes)
        {
            var tensor = new TensorProto { Name = _context.UniqueName(hint), DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
            _context.Graph.Initializer.Add(tensor);
            return tensor.Name;
        }

        /// <summary>The weight as 8-bit levels [K, N] with a scale and zero point per column, and its DequantizeLinear (placed before the first reader).</summary>
        private string AddWeight(WeightCandidate candidate)
        {
            var context = _context;
            var weight = candidate.Weight;
            var (values, scales, zeroPoints) = ChannelWeights.Add(context, candidate, _scheme,
                $"QDQ per-channel {Name(context.Options.QdqWeights)} symmetric, activations {Name(context.Options.ActivationType)}");

            string dequantized = context.UniqueName(weight.Name + "_dequantized");
            var dq = WeightCandidates.Node("DequantizeLinear", context.UniqueName(weight.Name + "_DequantizeLinear"), [values.Name, scales.Name, zeroPoints.Name], [dequantized]);
            dq.Attribute.Add(WeightCandidates.Int("axis", 1));
            context.Graph.Node.Insert(context.Graph.Node.IndexOf(candidate.Node), dq);
            return dequantized;
        }
    }
}
