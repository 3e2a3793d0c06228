using System.Numerics.Tensors;

namespace SlmOps.Quantization.Kernels;

/// <summary>Converts float weights to fp16, saturating rather than overflowing.</summary>
public static class HalfConverter
{
    /// <summary>The largest finite fp16 value, 65504.</summary>
    private const float MaxHalf = 65504f;

    private const int ChunkLength = 4096;

    /// <summary>
    /// Converts <paramref name="source"/> into the first <c>source.Length</c> elements of <paramref name="destination"/>,
    /// rounding to nearest even. Finite values beyond the fp16 range become ±65504, never infinity; values below the
    /// smallest fp16 subnormal become (signed) zero.
    /// </summary>
    /// <param name="source">The float values.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>.</param>
    /// <returns>How many values had a magnitude above 65504 and were clamped to it.</returns>
    /// <exception cref="NonFiniteWeightException">A value is NaN or infinite; <paramref name="destination"/> is then partly written.</exception>
    public static int Convert(ReadOnlySpan<float> source, Span<Half> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"The destination holds {destination.Length} values; the source has {source.Length}.", nameof(destination));

        Span<float> clamped = stackalloc float[Math.Min(ChunkLength, source.Length)];
        int clampedCount = 0;
        for (int offset = 0; offset < source.Length; offset += ChunkLength)
        {
            ReadOnlySpan<float> chunk = source.Slice(offset, Math.Min(ChunkLength, source.Length - offset));
            Span<float> bounded = clamped[..chunk.Length];
            if (!TensorPrimitives.IsFiniteAll(chunk))
                throw NonFiniteWeightException.ForFirstIn(source);

            TensorPrimitives.Clamp(chunk, -MaxHalf, MaxHalf, bounded);
            clampedCount += TensorPrimitives.HammingDistance(chunk, bounded);
            TensorPrimitives.ConvertToHalf(bounded, destination.Slice(offset, chunk.Length));
        }

        return clampedCount;
    }
}
