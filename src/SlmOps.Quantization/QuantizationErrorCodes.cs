namespace SlmOps.Quantization;

/// <summary>The SLM3xxx codes (quantization). Every code has a section in <c>docs/errors.md</c>; keep the two in step.</summary>
public static class QuantizationErrorCodes
{
    /// <summary>A quantization setting is invalid (precision, block size, pruning, pattern).</summary>
    public const string InvalidOptions = "SLM3001";

    /// <summary>A weight tensor holds NaN or infinity.</summary>
    public const string NonFiniteWeight = "SLM3002";

    /// <summary>The model is already quantized.</summary>
    public const string AlreadyQuantized = "SLM3003";

    /// <summary>The output could not be written (permissions, disk full); nothing is left behind.</summary>
    public const string OutputWriteFailed = "SLM3004";

    /// <summary>Warning: no tensor matched the settings, so the output is not smaller.</summary>
    public const string NothingQuantized = "SLM3005";

    /// <summary>The model's opset is too old for the chosen precision.</summary>
    public const string OpsetTooOld = "SLM3006";

    /// <summary>The output path would overwrite the input model or one of its external-data files.</summary>
    public const string OutputOverwritesInput = "SLM3007";

    /// <summary>Calibration for static QDQ failed: no samples, a sample the model cannot run, or a non-finite activation.</summary>
    public const string CalibrationFailed = "SLM3008";
}
