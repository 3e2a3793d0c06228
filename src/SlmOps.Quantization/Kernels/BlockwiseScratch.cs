namespace SlmOps.Quantization.Kernels;

/// <summary>The per-thread working memory of a <see cref="BlockwiseJob"/>.</summary>
internal sealed class BlockwiseScratch(int columns, int tileBytes, int stagingBytes)
{
    /// <summary>Five per-column rows (ranges and parameters) and a group's block-major scales.</summary>
    public float[] Columns { get; } = new float[columns];

    /// <summary>The tile of levels, then a group's block-major zero points.</summary>
    public byte[] Tile { get; } = new byte[tileBytes];

    /// <summary>Sixteen columns' transposed levels, waiting to be copied out.</summary>
    public byte[] Staging { get; } = new byte[stagingBytes];
}
