using System.Runtime.InteropServices;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Fp16;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Passes;

/// <summary>
/// fp16 (<see cref="Precision.Fp16"/>): <see cref="Fp16Converter"/> rewrites the graph, and the initializers it
/// turned to float16 get payload groups that narrow their float32 values (pruned ones from their pruned values).
/// </summary>
internal static class Fp16Pass
{
    /// <summary>
    /// Converts the graph; <paramref name="pruned"/> are the weights <see cref="PruningPass"/> rewrote, whose
    /// float16 payloads come from their pruned values. Returns whether any initializer was converted.
    /// </summary>
    public static bool Apply(QuantizationContext context, IReadOnlyDictionary<TensorProto, (WeightCandidate Candidate, TensorReport Report)> pruned)
    {
        // A weight over 2 GB cannot be converted as one span: the nodes that read it stay float32 (and so does it).
        var tooLarge = context.Graph.Initializer
            .Where(t => t.DataType == (int)DataType.Float && TensorData.Of(t).ElementCount > WeightCandidates.MaxElementsInMemory)
            .Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in tooLarge)
            context.Info($"fp16: initializer '{name}' stays float32: it has more than the {WeightCandidates.MaxElementsInMemory:N0} elements (2 GB) a weight can have to be converted here.");
        var result = Fp16Converter.Convert(context.Output, context.Options.Fp16,
            n => !n.Input.Any(tooLarge.Contains) && context.Selection.IsSelected([n.Name, .. n.Input]));
        var converted = result.ConvertedInitializers.ToHashSet(StringComparer.Ordinal);
        foreach (var header in context.Graph.Initializer.Where(t => converted.Contains(t.Name)).ToList())
        {
            var elements = TensorData.Of(header).ElementCount ?? 0;
            context.Groups.RemoveAll(g => g.Headers.Contains(header));
            bool isPruned = pruned.TryGetValue(header, out var weight);
            if (isPruned)
            {
                weight.Report.Format = weight.Report.Format.Replace("float32", "float16", StringComparison.Ordinal);
                weight.Report.BytesAfter = elements * 2;
            }
            context.Groups.Add(new PayloadGroup([header], [elements * 2], () => context.Produce(header, output =>
            {
                var half = MemoryMarshal.Cast<byte, Half>(output.Add(elements * 2));
                if (isPruned)
                {
                    float[] values;
                    (values, weight.Report.Sparsity) = PruningPass.Read(context, weight.Candidate);
                    HalfConverter.Convert(values, half);
                }
                else
                {
                    using var weights = context.OpenFloats(header);
                    HalfConverter.Convert(weights.Values, half);
                }
            }), workingSetBytes: elements * 6));
        }
        context.Info($"fp16: {result.ConvertedInitializers.Count} initializers and {result.NodesConverted} nodes converted, {result.NodesKeptFloat32} nodes kept in float32, {result.CastsInserted} Cast nodes inserted, {result.ConstantsClamped} constant values clamped to the float16 range.");
        return result.ConvertedInitializers.Count > 0;
    }
}
