using SlmOps.Onnx;
using SlmOps.Quantization.Passes;

namespace SlmOps.Quantization;

/// <summary>Static QDQ helpers for callers that calibrate (the engine itself never runs a model).</summary>
public static class StaticQdq
{
    /// <summary>
    /// The activation tensors that static QDQ quantizes in <paramref name="modelPath"/> with <paramref name="options"/>
    /// (its include/exclude patterns and minimum size decide which MatMul/Gemm nodes qualify), in graph order, each
    /// once: every rewritten node's input A and its output. Calibrate exactly these; inputs are required, outputs
    /// without a range stay float. Throws <see cref="QuantizationException"/> (SLM3001) for invalid settings and
    /// <see cref="OnnxModelException"/> (SLM2xxx) for a model that cannot be read.
    /// </summary>
    public static IReadOnlyList<string> ActivationsToCalibrate(string modelPath, QuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        (options with { Precision = Precision.Qdq, Ranges = options.Ranges ?? new ActivationRanges([]) }).Validate();
        using var source = OnnxModelLoader.Load(modelPath, new OnnxLoadOptions { ComputeSha256 = false, DeferPayloadsOfAtLeast = 4096, AllowHardLinks = options.AllowHardLinks });
        using var context = new QuantizationContext(source, options);
        return StaticQdqPass.Activations(WeightCandidates.Find(context));
    }
}
