using System.Numerics;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// The format of a block-wise quantized weight, as <c>com.microsoft.MatMulNBits</c> takes it: the bits per weight,
/// the weights per block along K, and whether blocks have zero points. With a shape [K, N] it gives the lengths of
/// the buffers <see cref="BlockwiseQuantizer"/> fills (the class remarks there describe the layouts).
/// </summary>
/// <param name="Bits">4 or 8.</param>
/// <param name="BlockSize">The weights per block along K: a power of two from 16 to 256.</param>
/// <param name="Symmetric">Symmetric blocks (no zero points, the operator's default 2^(bits-1)) or asymmetric ones.</param>
/// <exception cref="ArgumentOutOfRangeException">The bits or the block size are not supported.</exception>
public readonly record struct BlockwiseFormat(int Bits, int BlockSize, bool Symmetric)
{
    /// <summary>4 or 8.</summary>
    public int Bits { get; } = IsValidBits(Bits) ? Bits : throw InvalidBits(Bits);

    /// <summary>The weights per block along K: a power of two from 16 to 256.</summary>
    public int BlockSize { get; } = IsValidBlockSize(BlockSize) ? BlockSize : throw InvalidBlockSize(BlockSize);

    /// <summary>The number of blocks per column: ceil(<paramref name="k"/> / <see cref="BlockSize"/>).</summary>
    /// <param name="k">The rows of B (the reduction dimension).</param>
    public int BlockCount(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        Validate();
        return (int)(((long)k + BlockSize - 1) / BlockSize);
    }

    /// <summary>The length of the packed weights, <c>N * kBlocks * blockSize * bits / 8</c> bytes.</summary>
    /// <param name="k">The rows of B.</param>
    /// <param name="n">The columns of B.</param>
    public long PackedByteCount(int k, int n)
    {
        Validate(k, n);
        return (long)n * BlockCount(k) * (BlockSize * Bits / 8);
    }

    /// <summary>
    /// The length of the zero points: 0 when symmetric; asymmetric, <c>N * kBlocks</c> bytes for 8 bits and
    /// <c>N * ceil(kBlocks / 2)</c> for 4.
    /// </summary>
    /// <param name="k">The rows of B.</param>
    /// <param name="n">The columns of B.</param>
    public long ZeroPointByteCount(int k, int n)
    {
        Validate(k, n);
        return Symmetric ? 0 : (long)n * ZeroPointRowBytes(BlockCount(k));
    }

    /// <summary>The asymmetric zero point bytes per column.</summary>
    internal int ZeroPointRowBytes(int kBlocks) => Bits == 4 ? (kBlocks + 1) / 2 : kBlocks;

    /// <summary>Checks the shape, and the format itself (a <c>default</c> instance has not been through the constructor).</summary>
    internal void Validate(int k, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        Validate();
    }

    private void Validate()
    {
        if (!IsValidBits(Bits)) throw InvalidBits(Bits);
        if (!IsValidBlockSize(BlockSize)) throw InvalidBlockSize(BlockSize);
    }

    private static bool IsValidBits(int bits) => bits is 4 or 8;

    private static bool IsValidBlockSize(int blockSize) => blockSize is >= 16 and <= 256 && BitOperations.IsPow2(blockSize);

    private static ArgumentOutOfRangeException InvalidBits(int bits) =>
        new(nameof(Bits), bits, "MatMulNBits weights have 4 or 8 bits.");

    private static ArgumentOutOfRangeException InvalidBlockSize(int blockSize) =>
        new(nameof(BlockSize), blockSize, "The block size is a power of two from 16 to 256.");
}
