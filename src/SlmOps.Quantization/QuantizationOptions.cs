using SlmOps.Quantization.Fp16;
using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization;

/// <summary>What the weights become.</summary>
public enum Precision
{
    /// <summary>Unchanged (useful with pruning alone).</summary>
    Fp32,

    /// <summary>Weights and compute in float16; graph inputs and outputs stay float32 by default.</summary>
    Fp16,

    /// <summary>int8 dynamic: per-channel int8 weights, activations quantized at run time (MatMulInteger or QDQ).</summary>
    Int8,

    /// <summary>int8 weight-only, block-wise: <c>com.microsoft.MatMulNBits</c> with bits=8; activations stay float.</summary>
    Int8Weight,

    /// <summary>int4 weight-only, block-wise: <c>com.microsoft.MatMulNBits</c> with bits=4; activations stay float.</summary>
    Int4,

    /// <summary>
    /// Static QDQ for NPU-style targets: <c>QuantizeLinear</c>/<c>DequantizeLinear</c> around each MatMul/Gemm's
    /// activations (ranges calibrated ahead, <see cref="QuantizationOptions.Ranges"/>) and a per-channel
    /// <c>DequantizeLinear</c> on its 8-bit weight.
    /// </summary>
    Qdq,
}

/// <summary>The integer type of the activations in static QDQ (<see cref="Precision.Qdq"/>).</summary>
public enum QdqActivationType
{
    /// <summary>uint8, asymmetric per tensor (the common NPU format).</summary>
    UInt8,

    /// <summary>uint16, asymmetric per tensor: 256 times finer steps, for targets with 16-bit activation kernels (<c>com.microsoft</c> Q/DQ below opset 21).</summary>
    UInt16,
}

/// <summary>The integer type of the weights in static QDQ (<see cref="Precision.Qdq"/>); always per output channel and symmetric.</summary>
public enum QdqWeightType
{
    /// <summary>int8, levels in [-127, 127], zero point 0 (<see cref="Int8Scheme.Signed"/>).</summary>
    Int8,

    /// <summary>uint8 symmetric around 128: the int8 levels plus 128, zero point 128 (<see cref="Int8Scheme.Unsigned"/>).</summary>
    UInt8,
}

/// <summary>How int8 dynamic quantization is written into the graph.</summary>
public enum Int8Format
{
    /// <summary><c>DynamicQuantizeLinear</c> + <c>MatMulInteger</c> + rescale (standard ONNX operators).</summary>
    QOperator,

    /// <summary><c>DynamicQuantizeLinear</c> + <c>DequantizeLinear</c> around a float <c>MatMul</c>; runtimes fuse it.</summary>
    Qdq,
}

/// <summary>Weight pruning applied before quantization.</summary>
public abstract record Pruning
{
    /// <summary>Parses <c>0.5</c> (unstructured magnitude pruning to that sparsity) or <c>2:4</c>.</summary>
    public static Pruning Parse(string text)
    {
        if (text.Trim() == "2:4") return new TwoFourPruning();
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double sparsity)
            && sparsity > 0 && sparsity < 1)
        {
            return new MagnitudePruning(sparsity);
        }
        throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null,
            $"'{text}' is not a pruning setting; use a sparsity between 0 and 1 (for example 0.5) or 2:4.");
    }
}

/// <summary>Zero the smallest-magnitude weights of each tensor until <paramref name="Sparsity"/> of it is zero.</summary>
public sealed record MagnitudePruning(double Sparsity) : Pruning
{
    public override string ToString() => Sparsity.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>2:4 structured sparsity: in every group of four weights along the reduction dimension, two are zero.</summary>
public sealed record TwoFourPruning : Pruning
{
    public override string ToString() => "2:4";
}

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

    /// <summary>When the engine loads the model itself: accept hard-linked external data (<see cref="OnnxLoadOptions.AllowHardLinks"/>).</summary>
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
                "Precision qdq needs calibration ranges: calibrate the float model on sample inputs (SlmOps.Calibration's Calibrator) and pass the ranges it returns, or a saved ranges file.");
    }
}

/// <summary>The spellings that the CLI and the SlmModel metadata use for the settings (one place, so both agree).</summary>
public static class QuantizationNames
{
    public static readonly IReadOnlyList<string> Precisions = ["fp32", "fp16", "int8", "int8-weight", "int4", "qdq"];

    public static readonly IReadOnlyList<string> Int8WeightSchemes = ["signed", "signed-reduced", "unsigned", "unsigned-asymmetric"];

    public static readonly IReadOnlyList<string> Int8Formats = ["qoperator", "qdq"];

    public static Precision ParsePrecision(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" => Precision.Fp32,
        "fp16" => Precision.Fp16,
        "int8" => Precision.Int8,
        "int8-weight" => Precision.Int8Weight,
        "int4" => Precision.Int4,
        "qdq" => Precision.Qdq,
        _ => throw Invalid("precision", text, Precisions),
    };

    public static string Format(Precision precision) => Precisions[(int)precision];

    /// <summary>The spellings of <see cref="QdqActivationType"/>, in enum order.</summary>
    public static readonly IReadOnlyList<string> QdqActivationTypes = ["uint8", "uint16"];

    /// <summary>The spellings of <see cref="QdqWeightType"/>, in enum order.</summary>
    public static readonly IReadOnlyList<string> QdqWeightTypes = ["int8", "uint8"];

    /// <summary>Parses <c>uint8</c> or <c>uint16</c>; throws <see cref="QuantizationException"/> (SLM3001) otherwise.</summary>
    public static QdqActivationType ParseQdqActivationType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "uint8" => QdqActivationType.UInt8,
        "uint16" => QdqActivationType.UInt16,
        _ => throw Invalid("QDQ activation type", text, QdqActivationTypes),
    };

    /// <summary>Parses <c>int8</c> or <c>uint8</c>; throws <see cref="QuantizationException"/> (SLM3001) otherwise.</summary>
    public static QdqWeightType ParseQdqWeightType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "int8" => QdqWeightType.Int8,
        "uint8" => QdqWeightType.UInt8,
        _ => throw Invalid("QDQ weight type", text, QdqWeightTypes),
    };

    public static Int8Scheme ParseInt8Weights(string text) => text.Trim().ToLowerInvariant() switch
    {
        "signed" => Int8Scheme.Signed,
        "signed-reduced" => Int8Scheme.SignedReducedRange,
        "unsigned" => Int8Scheme.Unsigned,
        "unsigned-asymmetric" => Int8Scheme.UnsignedAsymmetric,
        _ => throw Invalid("int8 weight scheme", text, Int8WeightSchemes),
    };

    public static Int8Format ParseInt8Format(string text) => text.Trim().ToLowerInvariant() switch
    {
        "qoperator" => Int8Format.QOperator,
        "qdq" => Int8Format.Qdq,
        _ => throw Invalid("int8 format", text, Int8Formats),
    };

    private static QuantizationException Invalid(string what, string text, IReadOnlyList<string> allowed) =>
        new(QuantizationErrorCodes.InvalidOptions, null, $"'{text}' is not a known {what}; use one of {string.Join(", ", allowed)}.");
}
