using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization.Tests.Kernels;

public sealed class HalfConverterTests
{
    [Fact]
    public void Values_in_range_round_to_nearest_like_a_cast()
    {
        float[] values = KernelTestData.Gaussian(10_000, 1, sigma: 100f);
        var halves = new Half[values.Length];

        int clamped = HalfConverter.Convert(values, halves);

        Assert.Equal(0, clamped);
        Assert.Equal(values.Select(v => (Half)v), halves);
    }

    [Fact]
    public void Values_beyond_the_fp16_range_saturate_and_are_counted()
    {
        float[] values = [1f, 65504f, 65519f, 65520f, 70000f, -70000f, 1e30f, -float.MaxValue, -65504f, 0.5f];
        var halves = new Half[values.Length];

        int clamped = HalfConverter.Convert(values, halves);

        Assert.Equal(6, clamped);
        Assert.Equal(
            new[] { 1f, 65504f, 65504f, 65504f, 65504f, -65504f, 65504f, -65504f, -65504f, 0.5f },
            halves.Select(h => (float)h));
    }

    [Fact]
    public void Large_inputs_are_converted_and_counted_across_chunks()
    {
        float[] values = KernelTestData.Uniform(20_000, 2, scale: 80_000f);
        var halves = new Half[values.Length + 3];

        int clamped = HalfConverter.Convert(values, halves);

        Assert.Equal(values.Count(v => Math.Abs(v) > 65504f), clamped);
        Assert.Equal(values.Select(v => (Half)Math.Clamp(v, -65504f, 65504f)), halves.Take(values.Length));
        Assert.All(halves, h => Assert.True(Half.IsFinite(h)));
        Assert.Equal(default, halves[^1]);
    }

    [Fact]
    public void Tiny_values_underflow_to_subnormals_or_zero_never_nan()
    {
        float[] values = [1e-5f, 3e-8f, 2.98e-8f, 6e-8f, -1e-7f, 1e-20f, float.Epsilon, -1e-40f, -0f];
        var halves = new Half[values.Length];

        int clamped = HalfConverter.Convert(values, halves);

        Assert.Equal(0, clamped);
        Assert.Equal(values.Select(v => (Half)v), halves);
        Assert.All(halves, h => Assert.True(Half.IsFinite(h)));
        Assert.True(Half.IsSubnormal(halves[0]));
        Assert.Equal(Half.Zero, halves[5]);
    }

    [Theory]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 4095)]
    [InlineData(float.NegativeInfinity, 4096)]
    [InlineData(float.NaN, 9999)]
    public void Non_finite_values_are_reported_at_their_index(float bad, int index)
    {
        float[] values = KernelTestData.Uniform(10_000, 3);
        values[index] = bad;
        values[^1] = float.NaN;

        var ex = Assert.Throws<NonFiniteWeightException>(() => HalfConverter.Convert(values, new Half[values.Length]));

        Assert.Equal(index, ex.Index);
    }

    [Fact]
    public void A_short_destination_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => HalfConverter.Convert(new float[4], new Half[3]));
        Assert.Equal(0, HalfConverter.Convert([], []));
    }
}
