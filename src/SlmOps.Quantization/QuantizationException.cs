namespace SlmOps.Quantization;

/// <summary>A quantization failure with its SLM3xxx code and the file it is about (null for settings).</summary>
public sealed class QuantizationException(string code, string? filePath, string message, Exception? innerException = null)
    : SlmException(code, filePath, message, innerException);
