namespace SlmOps.Quantization;

/// <summary>A message from a quantization run; <paramref name="Code"/> is set for warnings.</summary>
public sealed record QuantizationMessage(MessageLevel Level, string? Code, string Text);
