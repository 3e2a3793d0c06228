namespace SlmOps.Validation;

/// <summary>A variant that cannot be validated, or fails a check that no threshold can excuse (SLM4xxx).</summary>
public sealed class ValidationException(string code, string? filePath, string message, Exception? innerException = null)
    : SlmException(code, filePath, message, innerException);
