using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SlmOps.Quantization.Fp16;

/// <summary>
/// float32 → float16 conversion of payloads, the way the fp16 pass wants it: round to nearest even, finite values
/// beyond the float16 range clamped to ±65504 (never turned into infinities), NaN and ±Inf kept as they are.
/// </summary>
public static class Fp16Narrowing
{
    /// <summary>The largest finite float16 value.</summary>
    public const float MaxFinite = 65504f;

    /// <summary>
    /// Converts <paramref name="source"/> into <paramref name="destination"/> (same length) and returns how many
    /// finite values were clamped to ±<see cref="MaxFinite"/>.
    /// </summary>
    /// <param name="source">float32 values.</param>
    /// <param name="destination">Receives the float16 values; at least as long as <paramref name="source"/>.</param>
    /// <returns>The number of finite values that were out of the float16 range.</returns>
    public static int ConvertClamped(ReadOnlySpan<float> source, Span<Half> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));

        destination = destination[..source.Length];
        TensorPrimitives.ConvertToHalf(source, destination);

        // Values at or beyond 65520 round to infinity; only a finite source can need fixing up.
        int clamped = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            if (Half.IsInfinity(destination[i]) && float.IsFinite(source[i]))
            {
                destination[i] = source[i] > 0 ? Half.MaxValue : Half.MinValue;
                clamped++;
            }
        }
        return clamped;
    }

    /// <summary>
    /// Converts little-endian float32 bytes (an ONNX <c>raw_data</c> payload) into little-endian float16 bytes.
    /// </summary>
    /// <param name="float32Bytes">The float32 payload; its length must be a multiple of 4.</param>
    /// <param name="clamped">The number of finite values clamped to ±<see cref="MaxFinite"/>.</param>
    /// <returns>The float16 payload (half the length).</returns>
    public static byte[] ConvertRawData(ReadOnlySpan<byte> float32Bytes, out int clamped)
    {
        if (float32Bytes.Length % 4 != 0)
            throw new ArgumentException("A float32 payload's length is a multiple of 4 bytes.", nameof(float32Bytes));

        int count = float32Bytes.Length / 4;
        var values = new float[count];
        if (BitConverter.IsLittleEndian)
        {
            float32Bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(float32Bytes[(i * 4)..]);
        }
        return ToRawData(values, out clamped);
    }

    /// <summary>Converts float32 values into a little-endian float16 <c>raw_data</c> payload.</summary>
    /// <param name="values">The float32 values.</param>
    /// <param name="clamped">The number of finite values clamped to ±<see cref="MaxFinite"/>.</param>
    /// <returns>The float16 payload (2 bytes a value).</returns>
    public static byte[] ToRawData(ReadOnlySpan<float> values, out int clamped)
    {
        var halves = new Half[values.Length];
        clamped = ConvertClamped(values, halves);
        var bytes = new byte[values.Length * 2];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(halves.AsSpan()).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < halves.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), halves[i]);
        }
        return bytes;
    }
}
