namespace SlmOps.Quantization;

/// <summary>How much a message matters.</summary>
public enum MessageLevel
{
    /// <summary>What was done or left alone (for example an operator pattern that is not quantized).</summary>
    Info,

    /// <summary>Something the user should look at; the output is still written.</summary>
    Warning,
}
