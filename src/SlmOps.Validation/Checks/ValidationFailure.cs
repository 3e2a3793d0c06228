namespace SlmOps.Validation;

/// <summary>A check the variant failed: its SLM4xxx code and a message that names the measured value and the threshold.</summary>
public sealed record ValidationFailure(string Code, string Message);
