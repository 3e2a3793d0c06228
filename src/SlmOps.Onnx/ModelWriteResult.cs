namespace SlmOps.Onnx;

/// <summary>What <see cref="StreamingModelWriter.Write"/> wrote.</summary>
/// <param name="ModelPath">The <c>.onnx</c> file.</param>
/// <param name="ModelBytes">Its size.</param>
/// <param name="DataPath">The external-data file, or null when everything is inline.</param>
/// <param name="DataBytes">The external-data file's size (0 when none).</param>
public sealed record ModelWriteResult(string ModelPath, long ModelBytes, string? DataPath, long DataBytes);
