namespace SlmOps.Quantization.Kernels;

/// <summary>
/// How <see cref="BlockwiseQuantizer"/> computes a <see cref="BlockwiseFormat"/>: the scale choice and the threads.
/// The defaults are what the engine uses.
/// </summary>
public sealed record BlockwiseOptions
{
    /// <summary>The defaults.</summary>
    public static BlockwiseOptions Default { get; } = new();

    /// <summary>
    /// Refine each block's scale by a small search for the least squared reconstruction error (see the remarks of
    /// <see cref="BlockwiseQuantizer"/>); false gives plain round-to-nearest, as ONNX Runtime's quantizer does.
    /// Default true.
    /// </summary>
    public bool ScaleSearch { get; init; } = true;

    /// <summary>
    /// The most threads to use: -1 (the default) for the default, 1 to stay on the calling thread. Small tensors
    /// always stay on it.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}
