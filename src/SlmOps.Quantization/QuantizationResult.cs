namespace SlmOps.Quantization;

/// <summary>What a quantization run did.</summary>
public sealed record QuantizationResult
{
    public required string OutputPath { get; init; }

    /// <summary>The external-data file written beside the output, or null when the output is one file.</summary>
    public string? DataPath { get; init; }

    public required Precision Precision { get; init; }

    /// <summary>The weights that were rewritten, in graph order.</summary>
    public required IReadOnlyList<QuantizedTensor> Tensors { get; init; }

    /// <summary>Initializer payload bytes of the input and of the output.</summary>
    public required long InitializerBytesBefore { get; init; }

    public required long InitializerBytesAfter { get; init; }

    /// <summary>The size of the output on disk (model plus external data).</summary>
    public required long OutputBytes { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public required IReadOnlyList<QuantizationMessage> Messages { get; init; }
}
