using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization;

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
