using SlmOps.Quantization.Fp16;
using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization;

/// <summary>Everything that decides what <see cref="ModelQuantizer"/> produces. The defaults are documented in docs/quantization.md.</summary>
public sealed record QuantizationOptions
{
    public Precision Precision { get; init; } = Precision.Int4;

    /// <summary>Block size along K for MatMulNBits (16, 32, 64, 128 or 256).</summary>
    public int BlockSize { get; init; } = 32;

    /// <summary>Block-wise: symmetric (no zero points) or asymmetric (a zero point per block).</summary>
    public bool Symmetric { get; init; } = true;

    /// <summary>
    /// Block-wise: choose each block's scale by a small search that minimizes the block's squared reconstruction
    /// error (a few steps around the round-to-nearest one, each with its least-squares scale) rather than plain
    /// round-to-nearest from the block's extremes (what ONNX Runtime's <c>MatMul4BitsQuantizer</c> does). Lower
    /// weight error for about 2.5 times the kernel's work; deterministic either way. Default true.
    /// </summary>
    public bool ScaleSearch { get; init; } = true;

    /// <summary>
    /// int4 / int8-weight: also quantize embedding tables (Gather along axis 0 from a constant 2-D float table) into
    /// <c>com.microsoft.GatherBlockQuantized</c>, which ONNX Runtime runs on the CPU. Off by default: embeddings carry
    /// a lot of accuracy for their size in small models (docs/quantization.md has the MiniLM numbers).
    /// </summary>
    public bool QuantizeEmbeddings { get; init; }

    /// <summary>
    /// int4: node or weight name patterns (<c>*</c> and <c>?</c>) of the MatMuls and embedding tables to quantize to
    /// 8 bits instead of 4, the rest staying int4: a mixed-precision model (what <c>Precision="auto"</c> chooses, and
    /// how a project pins its choice). Ignored by the other precisions.
    /// </summary>
    public IReadOnlyList<string> Int8Layers { get; init; } = [];

    /// <summary>MatMulNBits <c>accuracy_level</c> (0–4), passed through; null leaves it out (the runtime's default).</summary>
    public int? AccuracyLevel { get; init; }

    public Int8Format Int8Format { get; init; } = Int8Format.QOperator;

    /// <summary>
    /// int8 dynamic weights. Null chooses by <see cref="TargetArchitecture"/>: on Arm full-range signed weights; on x64
    /// (and when unknown) unsigned weights, which ONNX Runtime multiplies with u8·u8 kernels that cannot saturate, where
    /// signed weights go through u8·s8 instructions that saturate on CPUs without VNNI. Unsigned is also more accurate
    /// than the other safe choice, 7-bit (reduced-range) signed weights (docs/quantization.md has the measurements).
    /// </summary>
    public Int8Scheme? Int8Weights { get; init; }

    /// <summary>The target's CPU architecture (x64, arm64, ...) from its RID; null when unknown.</summary>
    public string? TargetArchitecture { get; init; }

    /// <summary>Node or initializer name patterns (<c>*</c> and <c>?</c>) to quantize; empty means all.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Node or initializer name patterns to leave alone.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Weights with fewer elements are left alone.</summary>
    public long MinimumElements { get; init; }

    public Pruning? Pruning { get; init; }

    public Fp16Options Fp16 { get; init; } = new();

    /// <summary>When the engine loads the model itself: accept hard-linked external data (<see cref="SlmOps.Onnx.OnnxLoadOptions.AllowHardLinks"/>).</summary>
    public bool AllowHardLinks { get; init; }

    public SlmOps.Onnx.ModelWriteOptions Write { get; init; } = new();

    /// <summary>Static QDQ: the activation integer type (default uint8).</summary>
    public QdqActivationType ActivationType { get; init; } = QdqActivationType.UInt8;

    /// <summary>Static QDQ: the per-channel weight integer type (default int8, symmetric).</summary>
    public QdqWeightType QdqWeights { get; init; } = QdqWeightType.Int8;

    /// <summary>
    /// Static QDQ: the calibrated activation ranges (required with <see cref="Precision.Qdq"/>). Compute them for the
    /// tensors <see cref="StaticQdq.ActivationsToCalibrate"/> lists, with the same include/exclude/minimum settings.
    /// </summary>
    public ActivationRanges? Ranges { get; init; }

    /// <summary>The int8 dynamic weight scheme that <see cref="Int8Weights"/> resolves to.</summary>
    public Int8Scheme ResolvedInt8Weights => Int8Weights ?? (TargetArchitecture is "arm64" or "arm" ? Int8Scheme.Signed : Int8Scheme.Unsigned);

    /// <summary>Throws <see cref="QuantizationException"/> (SLM3001) for settings that cannot work.</summary>
    public void Validate()
    {
        if (BlockSize is not (16 or 32 or 64 or 128 or 256))
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null, $"Block size {BlockSize} is not supported; use 16, 32, 64, 128 or 256.");
        if (AccuracyLevel is < 0 or > 4)
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null, $"Accuracy level {AccuracyLevel} is not supported; use 0 to 4.");
        if (MinimumElements < 0)
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null, "The minimum tensor size cannot be negative.");
        if (!Enum.IsDefined(ActivationType) || !Enum.IsDefined(QdqWeights))
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null, "Unknown static QDQ activation or weight type; use uint8 or uint16 activations and int8 or uint8 weights.");
        if (Precision == Precision.Qdq && Ranges is null)
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null,
                "Precision qdq needs calibration ranges: calibrate the float model on sample inputs (SlmOps.Validation's Calibrator) and pass the ranges it returns, or a saved ranges file.");
    }
}
