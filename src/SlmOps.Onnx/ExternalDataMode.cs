namespace SlmOps.Onnx;

/// <summary>How <see cref="StreamingModelWriter"/> places initializer payloads.</summary>
public enum ExternalDataMode
{
    /// <summary>Inline while the whole model fits protobuf's 2 GB limit (with a margin), external data beyond it.</summary>
    Auto,

    /// <summary>Always one external-data file beside the model (payloads of at least <see cref="ModelWriteOptions.ExternalDataMinimumBytes"/>).</summary>
    Always,

    /// <summary>Never; a model that does not fit in one protobuf file is an error.</summary>
    Never,
}
