namespace SlmOps.Validation;

/// <summary>The SLM4xxx codes of validation (docs/errors.md has a section for each).</summary>
public static class ValidationCodes
{
    /// <summary>ONNX Runtime's native library cannot be found for this machine.</summary>
    public const string RuntimeMissing = "SLM4000";

    /// <summary>ONNX Runtime cannot load the model (an IR version or opset it does not know, an op it lacks, a broken graph).</summary>
    public const string LoadFailed = "SLM4001";

    /// <summary>ONNX Runtime loaded the model but running it on the samples failed.</summary>
    public const string RunFailed = "SLM4002";

    /// <summary>The variant's outputs hold NaN or infinity where the original's are finite.</summary>
    public const string NonFinite = "SLM4003";

    /// <summary>The variant's graph inputs or outputs differ from the original's in name, element type or rank.</summary>
    public const string SignatureChanged = "SLM4004";

    /// <summary>An input no sample can be synthesized for (e.g. strings), and no sample data was given.</summary>
    public const string NoSample = "SLM4005";

    /// <summary>A drift gate failed: a metric is worse than its threshold.</summary>
    public const string GateFailed = "SLM4010";

    /// <summary>A validation setting of the item (<c>ValidationMode</c>, a gate) is not valid.</summary>
    public const string InvalidSettings = "SLM4006";

    /// <summary>The variant does not fit a device budget (size, load time, latency, memory).</summary>
    public const string BudgetExceeded = "SLM4011";

    /// <summary>The item's sample data cannot be read, or does not fit the model.</summary>
    public const string InvalidSamples = "SLM4007";
}
