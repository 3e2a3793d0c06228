using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization.Tests.Kernels;

public sealed class PrunerTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.77)]
    [InlineData(1.0)]
    public void Magnitude_zeroes_exactly_the_smallest_weights(double sparsity)
    {
        foreach (float[] original in new[] { KernelTestData.Gaussian(5_001, 1), Coarse(4_000, 2), KernelTestData.WideRange(3_000, 3), KernelTestData.Subnormal(999, 4) })
        {
            float[] weights = (float[])original.Clone();
            int target = (int)Math.Floor(sparsity * weights.Length);

            long zeros = Pruner.Magnitude(weights, sparsity);

            float[] expected = ReferenceMagnitude(original, target);
            Assert.Equal(expected, weights);
            Assert.Equal(expected.LongCount(w => w == 0f), zeros);
            Assert.True(zeros >= target);
        }
    }

    [Fact]
    public void Magnitude_ties_go_to_the_lower_indices_first()
    {
        float[] weights = [1f, -1f, 1f, -1f, 1f, -1f, 1f, -1f, 1f, -1f];

        long zeros = Pruner.Magnitude(weights, 0.5);

        Assert.Equal(5, zeros);
        Assert.Equal([0f, 0f, 0f, 0f, 0f, -1f, 1f, -1f, 1f, -1f], weights);
    }

    [Fact]
    public void Existing_zeros_count_among_the_smallest()
    {
        float[] weights = [0f, 5f, -0f, 1f, 2f, 0f];

        long zeros = Pruner.Magnitude(weights, 0.5);

        Assert.Equal(3, zeros);
        Assert.Equal([0f, 5f, 0f, 1f, 2f, 0f], weights);
        Assert.Equal(0.5, Pruner.Sparsity(weights));
    }

    [Fact]
    public void Magnitude_rejects_bad_input_without_changing_anything()
    {
        float[] weights = [3f, 1f, float.PositiveInfinity, 2f, float.NaN];
        var ex = Assert.Throws<NonFiniteWeightException>(() => Pruner.Magnitude(weights, 0.5));
        Assert.Equal(2, ex.Index);
        Assert.Equal(3f, weights[0]);
        Assert.Equal(1f, weights[1]);

        Assert.Throws<ArgumentOutOfRangeException>(() => Pruner.Magnitude(new float[4], -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pruner.Magnitude(new float[4], 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pruner.Magnitude(new float[4], double.NaN));
        Assert.Equal(0, Pruner.Magnitude([], 0.5));
    }

    [Theory]
    [InlineData(8, 37)]
    [InlineData(4, 1)]
    [InlineData(64, 100)]
    public void Two_four_keeps_the_two_largest_of_every_group_of_four_rows(int rows, int cols)
    {
        float[] original = KernelTestData.Gaussian(rows * cols, rows + cols);
        float[] weights = (float[])original.Clone();

        long zeros = Pruner.TwoFour(weights, rows, cols);

        Assert.Equal(rows * cols / 2, zeros);
        Assert.Equal(ReferenceTwoFour(original, rows, cols), weights);
        for (int group = 0; group < rows / 4; group++)
        {
            for (int c = 0; c < cols; c++)
            {
                int kept = Enumerable.Range(4 * group, 4).Count(r => weights[r * cols + c] != 0f);
                Assert.Equal(2, kept);
            }
        }
    }

    [Fact]
    public void Two_four_ties_keep_the_lower_rows()
    {
        float[] weights =
        [
            1f, 0f, 2f,
            -1f, 0f, 1f,
            1f, 0f, 2f,
            1f, 0f, -2f,
        ];

        long zeros = Pruner.TwoFour(weights, 4, 3);

        Assert.Equal(
            [
                1f, 0f, 2f,
                -1f, 0f, 0f,
                0f, 0f, 2f,
                0f, 0f, 0f,
            ],
            weights);
        Assert.Equal(8, zeros);
    }

    [Fact]
    public void Two_four_vector_and_scalar_paths_agree()
    {
        foreach (float[] original in new[] { KernelTestData.Gaussian(16 * 45, 9), Coarse(16 * 45, 10) })
        {
            float[] scalar = (float[])original.Clone();
            Pruner.TwoFour(scalar, 16, 45, KernelPath.Scalar);
            foreach (var path in new[] { KernelPath.Vector128, KernelPath.Vector256, KernelPath.Vector512 })
            {
                float[] vector = (float[])original.Clone();
                Pruner.TwoFour(vector, 16, 45, path);
                Assert.Equal(scalar, vector);
            }
        }
    }

    [Fact]
    public void Two_four_rejects_bad_input()
    {
        Assert.Throws<ArgumentException>(() => Pruner.TwoFour(new float[6 * 2], 6, 2));
        Assert.Throws<ArgumentException>(() => Pruner.TwoFour(new float[7], 4, 2));

        float[] weights = [1f, 2f, 3f, float.NaN];
        var ex = Assert.Throws<NonFiniteWeightException>(() => Pruner.TwoFour(weights, 4, 1));
        Assert.Equal(3, ex.Index);
        Assert.Equal([1f, 2f, 3f], weights[..3]);
    }

    [Fact]
    public void Sparsity_is_the_fraction_of_exact_zeros()
    {
        Assert.Equal(0.5, Pruner.Sparsity([0f, -0f, 1f, float.Epsilon]));
        Assert.Equal(0.0, Pruner.Sparsity([]));
        Assert.Equal(1.0, Pruner.Sparsity(new float[17]));
    }

    /// <summary>Few distinct magnitudes, so most comparisons are ties.</summary>
    private static float[] Coarse(int count, int seed) =>
        KernelTestData.Uniform(count, seed).Select(v => MathF.Round(v * 4) / 4).ToArray();

    /// <summary>Sort-based reference: order by (|w|, index) and zero the first <paramref name="count"/>.</summary>
    private static float[] ReferenceMagnitude(float[] original, int count)
    {
        float[] result = (float[])original.Clone();
        foreach (int i in Enumerable.Range(0, original.Length).OrderBy(i => Math.Abs(original[i])).ThenBy(i => i).Take(count))
            result[i] = 0f;
        return result;
    }

    private static float[] ReferenceTwoFour(float[] original, int rows, int cols)
    {
        float[] result = (float[])original.Clone();
        for (int group = 0; group < rows / 4; group++)
        {
            for (int c = 0; c < cols; c++)
            {
                var pruned = Enumerable.Range(4 * group, 4)
                    .OrderByDescending(r => Math.Abs(original[r * cols + c]))
                    .ThenBy(r => r)
                    .Skip(2);
                foreach (int r in pruned)
                    result[r * cols + c] = 0f;
            }
        }

        return result;
    }
}
