namespace SlmOps.Onnx;

/// <summary>A model too big for one protobuf file was to be written without external data; nothing was written.</summary>
public sealed class ModelTooLargeException(string message) : InvalidOperationException(message);
