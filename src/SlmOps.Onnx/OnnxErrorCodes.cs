namespace SlmOps.Onnx;

/// <summary>
/// The SLM2xxx codes (model files). Every code has a section in <c>docs/errors.md</c>; keep the two in step.
/// </summary>
public static class OnnxErrorCodes
{
    /// <summary>The model file does not exist.</summary>
    public const string FileNotFound = "SLM2001";

    /// <summary>The file is not an ONNX model (not protobuf, or protobuf without a graph or IR version).</summary>
    public const string NotAnOnnxModel = "SLM2002";

    /// <summary>The file starts like an ONNX model but ends early or is corrupt inside.</summary>
    public const string TruncatedOrCorrupt = "SLM2003";

    /// <summary>An external-data location points outside the model's folder.</summary>
    public const string UnsafeExternalDataPath = "SLM2004";

    /// <summary>An external-data file is missing, too short, or its reference is malformed.</summary>
    public const string ExternalDataUnreadable = "SLM2005";

    /// <summary>The model's SHA-256 differs from the expected hash.</summary>
    public const string Sha256Mismatch = "SLM2006";

    /// <summary>The model's IR version is newer than ONNX Runtime supports.</summary>
    public const string UnsupportedIrVersion = "SLM2007";

    /// <summary>A graph input or output is not a tensor with a known element type and rank.</summary>
    public const string UnsupportedGraphValue = "SLM2008";

    /// <summary>A model file (or a file written for it) could not be read or written: permissions, disk full, locked.</summary>
    public const string FileAccessFailed = "SLM2009";

    /// <summary>An external-data file name collides with a file the SDK writes for the variant, or with another data file ignoring case.</summary>
    public const string ExternalDataNameCollision = "SLM2010";
}

/// <summary>
/// A model file that cannot be used, with the SLM code and the file it is about. The message names what is wrong
/// and what to do; it does not repeat the code or the path (callers format those).
/// </summary>
public sealed class OnnxModelException(string code, string filePath, string message, Exception? innerException = null)
    : SlmException(code, filePath, message, innerException);
