using System.Runtime.InteropServices;
using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization.Tests.Kernels;

public sealed class ChannelQuantizerTests
{
    public static TheoryData<Int8Scheme, int> SchemesAndAxes()
    {
        var data = new TheoryData<Int8Scheme, int>();
        foreach (var scheme in Enum.GetValues<Int8Scheme>())
        {
            data.Add(scheme, 0);
            data.Add(scheme, 1);
        }

        return data;
    }

    private static readonly (int Rows, int Cols)[] Shapes = [(1, 1), (7, 33), (33, 7), (64, 100), (5, 1), (1, 67), (19, 8)];

    internal sealed record Quantized(byte[] Levels, float[] Scales, byte[] ZeroPoints);

    internal static Quantized Quantize(float[] weights, int rows, int cols, int axis, Int8Scheme scheme, KernelPath path = KernelPath.Auto)
    {
        int channels = axis == 0 ? rows : cols;
        var q = new Quantized(new byte[rows * cols], new float[channels], new byte[channels]);
        ChannelQuantizer.Quantize(weights, rows, cols, axis, scheme, q.Levels, q.Scales, q.ZeroPoints, path);
        return q;
    }

    internal static float[] Dequantize(Quantized q, int rows, int cols, int axis, Int8Scheme scheme)
    {
        var weights = new float[rows * cols];
        ChannelQuantizer.Dequantize(q.Levels, q.Scales, q.ZeroPoints, rows, cols, axis, scheme, weights);
        return weights;
    }

    [Theory]
    [MemberData(nameof(SchemesAndAxes))]
    public void Dequantized_weights_are_within_half_a_step(Int8Scheme scheme, int axis)
    {
        int seed = 10;
        foreach (var (rows, cols) in Shapes)
        {
            foreach (string kind in KernelTestData.Kinds)
            {
                float[] weights = KernelTestData.Make(kind, rows * cols, seed++);
                var q = Quantize(weights, rows, cols, axis, scheme);
                float[] restored = Dequantize(q, rows, cols, axis, scheme);
                for (int i = 0; i < weights.Length; i++)
                {
                    float scale = q.Scales[axis == 0 ? i / cols : i % cols];
                    double allowed = KernelTestData.HalfStep(weights[i], scale);
                    if (!float.IsFinite(restored[i]) || Math.Abs((double)restored[i] - weights[i]) > allowed)
                        Assert.Fail($"{kind} [{rows}, {cols}]: w[{i}] = {weights[i]:R} came back as {restored[i]:R} (scale {scale:R})");
                }
            }
        }
    }

    [Theory]
    [InlineData(Int8Scheme.Signed, -127, 127, -3f, 3f, 0)]
    [InlineData(Int8Scheme.SignedReducedRange, -63, 63, -3f, 3f, 0)]
    [InlineData(Int8Scheme.Unsigned, 1, 255, -3f, 3f, 128)]
    [InlineData(Int8Scheme.UnsignedAsymmetric, 0, 255, -2f, 4f, 85)]
    public void Levels_stay_in_the_scheme_range_and_reach_its_ends(Int8Scheme scheme, int min, int max, float low, float high, int zeroPoint)
    {
        int rows = 40, cols = 9;
        float[] weights = KernelTestData.Uniform(rows * cols, 4);
        for (int c = 0; c < cols; c++)
        {
            weights[c] = low;
            weights[cols + c] = high;
        }

        var q = Quantize(weights, rows, cols, 1, scheme);
        bool signed = min < 0;
        bool asymmetric = scheme == Int8Scheme.UnsignedAsymmetric;
        int[] levels = q.Levels.Select(b => signed ? (sbyte)b : (int)b).ToArray();

        Assert.All(levels, level => Assert.InRange(level, min, max));
        Assert.Contains(min, levels);
        Assert.Contains(max, levels);
        Assert.All(q.ZeroPoints, zp => Assert.Equal(zeroPoint, zp));
        Assert.All(q.Scales, s => Assert.Equal(asymmetric ? (high - low) / max : high / (max - zeroPoint), s));
    }

    [Fact]
    public void Unsigned_levels_are_the_signed_levels_plus_128()
    {
        int seed = 40;
        foreach (int axis in new[] { 0, 1 })
        {
            foreach (var (rows, cols) in Shapes.Append((17, 131)))
            {
                foreach (string kind in KernelTestData.Kinds)
                {
                    float[] weights = KernelTestData.Make(kind, rows * cols, seed++);
                    foreach (var path in new[] { KernelPath.Scalar, KernelPath.Auto })
                    {
                        var signed = Quantize(weights, rows, cols, axis, Int8Scheme.Signed, path);
                        var unsigned = Quantize(weights, rows, cols, axis, Int8Scheme.Unsigned, path);
                        string label = $"{path} axis {axis} {kind} [{rows}, {cols}]";
                        Assert.True(signed.Levels.Select(b => (byte)((sbyte)b + 128)).SequenceEqual(unsigned.Levels), $"{label}: levels");
                        Assert.True(signed.Scales.SequenceEqual(unsigned.Scales), $"{label}: scales");
                        Assert.All(unsigned.ZeroPoints, zp => Assert.Equal(128, zp));
                        Assert.Equal(Dequantize(signed, rows, cols, axis, Int8Scheme.Signed), Dequantize(unsigned, rows, cols, axis, Int8Scheme.Unsigned));
                    }
                }
            }
        }
    }

    [Fact]
    public void Unsigned_asymmetric_zero_point_is_the_rounded_position_of_zero()
    {
        float[] weights = [-1f, 0.5f, 2f, 4f, -0.25f, 0f];

        var q = Quantize(weights, 3, 2, 1, Int8Scheme.UnsignedAsymmetric);

        Assert.Equal(3f / 255f, q.Scales[0]);
        Assert.Equal(85, q.ZeroPoints[0]);
        Assert.Equal(4f / 255f, q.Scales[1]);
        Assert.Equal(0, q.ZeroPoints[1]);
    }

    [Fact]
    public void All_zero_channels_get_zero_scale_and_dequantize_to_zero()
    {
        var weights = new float[4 * 6];
        weights[7] = -2f;

        foreach (var scheme in Enum.GetValues<Int8Scheme>())
        {
            foreach (int axis in new[] { 0, 1 })
            {
                var q = Quantize(weights, 4, 6, axis, scheme);
                Assert.Equal(axis == 0 ? 3 : 5, q.Scales.Count(s => s == 0f));
                Assert.All(q.ZeroPoints.Where((_, i) => q.Scales[i] == 0f), zp => Assert.Equal(scheme == Int8Scheme.Unsigned ? 128 : 0, zp));
                float[] restored = Dequantize(q, 4, 6, axis, scheme);
                Assert.Equal(-2f, restored[7], 5e-6f);
                Assert.All(restored.Where((_, i) => i != 7), w => Assert.Equal(0f, w));
            }
        }
    }

    [Fact]
    public void Vector_and_scalar_paths_are_bit_identical()
    {
        int seed = 500;
        foreach (var scheme in Enum.GetValues<Int8Scheme>())
        {
            foreach (int axis in new[] { 0, 1 })
            {
                foreach (var (rows, cols) in Shapes.Append((17, 131)))
                {
                    foreach (string kind in KernelTestData.Kinds)
                    {
                        float[] weights = KernelTestData.Make(kind, rows * cols, seed++);
                        var scalar = Quantize(weights, rows, cols, axis, scheme, KernelPath.Scalar);
                        foreach (var path in new[] { KernelPath.Vector128, KernelPath.Vector256, KernelPath.Vector512, KernelPath.Auto })
                            AssertSame(scalar, Quantize(weights, rows, cols, axis, scheme, path), $"{path} {scheme} axis {axis} {kind} [{rows}, {cols}]");
                    }
                }
            }
        }
    }

    [Fact]
    public void Per_row_quantization_is_per_column_quantization_of_the_transpose()
    {
        int rows = 23, cols = 45;
        foreach (var scheme in Enum.GetValues<Int8Scheme>())
        {
            foreach (string kind in KernelTestData.Kinds)
            {
                float[] weights = KernelTestData.Make(kind, rows * cols, 77);
                float[] transposed = Transpose(weights, rows, cols);

                var byRow = Quantize(weights, rows, cols, 0, scheme);
                var byColumn = Quantize(transposed, cols, rows, 1, scheme);

                AssertSame(byRow, byColumn with { Levels = Transpose(byColumn.Levels, cols, rows) }, $"{scheme} {kind}");
            }
        }
    }

    [Theory]
    [InlineData(0, float.NaN, 0)]
    [InlineData(1, float.PositiveInfinity, 40)]
    [InlineData(0, float.NegativeInfinity, 7 * 33 - 1)]
    [InlineData(1, float.NaN, 3 * 33 + 32)]
    public void Non_finite_weights_are_reported_at_their_index(int axis, float bad, int index)
    {
        foreach (var scheme in Enum.GetValues<Int8Scheme>())
        {
            foreach (var path in new[] { KernelPath.Scalar, KernelPath.Auto })
            {
                float[] weights = KernelTestData.Uniform(7 * 33, 6);
                weights[index] = bad;
                weights[^1] = float.NaN;

                var ex = Assert.Throws<NonFiniteWeightException>(() => Quantize(weights, 7, 33, axis, scheme, path));

                Assert.Equal(index, ex.Index);
            }
        }
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        var weights = new float[12];
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelQuantizer.Quantize(weights, 3, 4, 2, Int8Scheme.Signed, new byte[12], new float[4], new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelQuantizer.Quantize(weights, 3, 4, 1, (Int8Scheme)9, new byte[12], new float[4], new byte[4]));
        Assert.Throws<ArgumentException>(() => ChannelQuantizer.Quantize(weights, 3, 4, 1, Int8Scheme.Signed, new byte[12], new float[3], new byte[4]));
        Assert.Throws<ArgumentException>(() => ChannelQuantizer.Quantize(weights, 3, 4, 0, Int8Scheme.Signed, new byte[12], new float[4], new byte[4]));
        Assert.Throws<ArgumentException>(() => ChannelQuantizer.Quantize(weights, 4, 4, 0, Int8Scheme.Signed, new byte[16], new float[4], new byte[4]));
    }

    private static T[] Transpose<T>(T[] matrix, int rows, int cols)
    {
        var result = new T[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
                result[c * rows + r] = matrix[r * cols + c];
        }

        return result;
    }

    private static void AssertSame(Quantized expected, Quantized actual, string label)
    {
        Assert.True(expected.Levels.AsSpan().SequenceEqual(actual.Levels), $"{label}: levels differ");
        Assert.True(expected.ZeroPoints.AsSpan().SequenceEqual(actual.ZeroPoints), $"{label}: zero points differ");
        Assert.True(MemoryMarshal.AsBytes(expected.Scales.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.Scales.AsSpan())), $"{label}: scales differ");
    }
}
