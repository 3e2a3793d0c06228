namespace SlmOps.Onnx;

/// <summary>Options for <see cref="StreamingModelWriter.Write"/>.</summary>
public sealed record ModelWriteOptions
{
    public ExternalDataMode ExternalData { get; init; } = ExternalDataMode.Auto;

    /// <summary>In <see cref="ExternalDataMode.Auto"/>, models whose payloads add up to more than this go external.</summary>
    public long InlineLimitBytes { get; init; } = 2_000_000_000;

    /// <summary>Smaller payloads stay inline in the <c>.onnx</c> file even when external data is written.</summary>
    public long ExternalDataMinimumBytes { get; init; } = 1024;

    /// <summary>The parallelism for producing payloads (they are still written in order).</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// A group starts while others are in flight (being produced, or produced and waiting to be written) only if their
    /// working sets add up to no more than this, so a model of 256 MB tensors is produced one tensor at a time (the
    /// kernels are parallel inside a tensor), while small tensors overlap and run ahead of the writer.
    /// </summary>
    public long MaxBytesInFlight { get; init; } = 128L << 20;
}
