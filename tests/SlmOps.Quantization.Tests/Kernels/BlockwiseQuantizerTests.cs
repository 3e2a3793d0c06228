using SlmOps.Quantization.Kernels;

namespace SlmOps.Quantization.Tests.Kernels;

public sealed class BlockwiseQuantizerTests
{
    /// <summary>Every bits / block size / symmetric combination MatMulNBits takes.</summary>
    public static TheoryData<int, int, bool> Formats()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int bits in new[] { 4, 8 })
        {
            foreach (int blockSize in new[] { 16, 32, 64, 128, 256 })
            {
                data.Add(bits, blockSize, true);
                data.Add(bits, blockSize, false);
            }
        }

        return data;
    }

    /// <summary>Shapes [K, N] for a block size: K a multiple and not, N = 1 and odd N that leave SIMD tails.</summary>
    private static IEnumerable<(int K, int N)> Shapes(int blockSize) =>
    [
        (2 * blockSize, 8),
        (3 * blockSize + 5, 7),
        (blockSize + 1, 1),
        (1, 33),
        (2 * blockSize - 1, 17),
        (37, 33),
    ];

    internal sealed record Quantized(byte[] Packed, float[] Scales, byte[] ZeroPoints, BlockwiseFormat Format);

    internal static Quantized Quantize(
        float[] weights,
        int k,
        int n,
        int bits,
        int blockSize,
        bool symmetric,
        int maxDegreeOfParallelism = -1,
        KernelPath path = KernelPath.Auto,
        bool scaleSearch = true)
    {
        var format = new BlockwiseFormat(bits, blockSize, symmetric);
        var packed = new byte[format.PackedByteCount(k, n)];
        var scales = new float[n * format.BlockCount(k)];
        var zeroPoints = new byte[format.ZeroPointByteCount(k, n)];
        var options = new BlockwiseOptions { ScaleSearch = scaleSearch, MaxDegreeOfParallelism = maxDegreeOfParallelism };
        BlockwiseQuantizer.Quantize(weights, k, n, format, packed, scales, zeroPoints, options, path);
        return new Quantized(packed, scales, zeroPoints, format);
    }

    internal static float[] Dequantize(Quantized q, int k, int n)
    {
        var weights = new float[k * n];
        BlockwiseQuantizer.Dequantize(q.Packed, q.Scales, q.ZeroPoints, k, n, q.Format, weights);
        return weights;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Round_to_nearest_weights_are_within_half_a_step(int bits, int blockSize, bool symmetric)
    {
        int seed = 1;
        foreach (var (k, n) in Shapes(blockSize))
        {
            foreach (string kind in KernelTestData.Kinds)
            {
                float[] weights = KernelTestData.Make(kind, k * n, seed++);
                var q = Quantize(weights, k, n, bits, blockSize, symmetric, scaleSearch: false);
                AssertWithinStep(weights, q, k, n, bits, blockSize, symmetric, $"{kind} [{k}, {n}]");
            }
        }
    }

    /// <summary>
    /// The searched scales' first candidate is round-to-nearest with its scale refitted, which can only lower the
    /// error; the search keeps the best candidate by a float score, so each block's squared error is at most
    /// round-to-nearest's plus that score's rounding (a small fraction of the block's energy, Σw²).
    /// </summary>
    [Theory]
    [MemberData(nameof(Formats))]
    public void Searched_scales_never_raise_a_blocks_squared_error(int bits, int blockSize, bool symmetric)
    {
        int seed = 1;
        foreach (var (k, n) in Shapes(blockSize).Append((4 * blockSize, 40)))
        {
            foreach (string kind in KernelTestData.Kinds)
            {
                float[] weights = KernelTestData.Make(kind, k * n, seed++);
                var searched = Quantize(weights, k, n, bits, blockSize, symmetric);
                var nearest = Quantize(weights, k, n, bits, blockSize, symmetric, scaleSearch: false);
                AssertNoWorse(weights, searched, nearest, k, n, bits, blockSize, $"{kind} [{k}, {n}]");
            }
        }
    }

    /// <summary>The search pays for itself: measured ratios are 0.86 to 0.96 on these (outlier-salted) Gaussian weights.</summary>
    [Theory]
    [InlineData(4, 16, true, 0.97)]
    [InlineData(4, 32, true, 0.965)]
    [InlineData(4, 32, false, 0.96)]
    [InlineData(4, 128, true, 0.89)]
    [InlineData(4, 256, false, 0.88)]
    [InlineData(8, 32, true, 0.955)]
    [InlineData(8, 32, false, 0.94)]
    public void Searched_scales_lower_the_error_of_gaussian_weights(int bits, int blockSize, bool symmetric, double ratio)
    {
        int k = 4 * blockSize, n = 300;
        float[] weights = KernelTestData.Gaussian(k * n, blockSize + bits);

        double searched = SquaredError(weights, Quantize(weights, k, n, bits, blockSize, symmetric), k, n, bits, blockSize);
        double nearest = SquaredError(weights, Quantize(weights, k, n, bits, blockSize, symmetric, scaleSearch: false), k, n, bits, blockSize);

        Assert.True(searched <= ratio * nearest, $"searched / round-to-nearest squared error = {searched / nearest:0.0000}");
    }

    [Fact]
    public void Searched_scales_keep_exactly_representable_blocks_exact()
    {
        int k = 64, n = 19;
        var random = new Random(12);
        float[] weights = new float[k * n];
        for (int i = 0; i < weights.Length; i++)
            weights[i] = random.Next(-8, 8) * 0.25f;
        for (int column = 0; column < n; column++)
        {
            weights[column] = -2f;
            weights[32 * n + column] = -2f;
        }

        foreach (var path in new[] { KernelPath.Scalar, KernelPath.Auto })
        {
            var q = Quantize(weights, k, n, 4, 32, symmetric: true, path: path);
            Assert.All(q.Scales, s => Assert.Equal(0.25f, s));
            Assert.Equal(weights, Dequantize(q, k, n));
        }
    }

    [Theory]
    [InlineData(4, 32, true)]
    [InlineData(4, 32, false)]
    [InlineData(8, 16, true)]
    [InlineData(8, 256, false)]
    public void Blocks_of_subnormals_keep_their_resolution(int bits, int blockSize, bool symmetric)
    {
        int k = 2 * blockSize, n = 9;
        float[] weights = KernelTestData.Subnormal(k * n, 99);
        var nearest = Quantize(weights, k, n, bits, blockSize, symmetric, scaleSearch: false);
        var searched = Quantize(weights, k, n, bits, blockSize, symmetric);

        Assert.All(nearest.Scales, s => Assert.True(float.IsFinite(s) && s != 0, $"scale {s}"));
        Assert.All(searched.Scales, s => Assert.True(float.IsFinite(s) && s != 0, $"searched scale {s}"));
        AssertWithinStep(weights, nearest, k, n, bits, blockSize, symmetric, "subnormal");
        AssertNoWorse(weights, searched, nearest, k, n, bits, blockSize, "subnormal");
    }

    [Fact]
    public void Symmetric_scale_comes_from_the_first_weight_of_largest_magnitude_with_its_sign()
    {
        var weights = new float[16];
        weights[1] = -1f;
        weights[2] = 1f;
        weights[3] = 0.5f;
        weights[4] = -0.3f;

        var q = Quantize(weights, 16, 1, 4, 16, symmetric: true, scaleSearch: false);

        Assert.Equal(0.125f, q.Scales[0]);
        int[] levels = Nibbles(q.Packed);
        Assert.Equal(8, levels[0]);
        Assert.Equal(0, levels[1]);
        Assert.Equal(15, levels[2]);
        Assert.Equal(12, levels[3]);
        Assert.Equal(6, levels[4]);

        weights[1] = 1f;
        weights[2] = -1f;
        q = Quantize(weights, 16, 1, 4, 16, symmetric: true, scaleSearch: false);
        Assert.Equal(-0.125f, q.Scales[0]);
        Assert.Equal(0, Nibbles(q.Packed)[1]);
        Assert.Equal(15, Nibbles(q.Packed)[2]);
    }

    [Fact]
    public void Symmetric_ties_between_signs_go_to_the_earlier_weight_in_every_column()
    {
        int k = 64, n = 45;
        float[] weights = KernelTestData.Uniform(k * n, 21, scale: 0.5f);
        for (int column = 0; column < n; column++)
        {
            for (int block = 0; block < 2; block++)
            {
                int early = block * 32 + column % 7, late = block * 32 + 10 + column % 5;
                float first = (column + block) % 2 == 0 ? 2f : -2f;
                weights[early * n + column] = first;
                weights[late * n + column] = -first;
            }
        }

        foreach (var path in new[] { KernelPath.Scalar, KernelPath.Vector128, KernelPath.Vector256, KernelPath.Vector512 })
        {
            var q = Quantize(weights, k, n, 4, 32, symmetric: true, path: path, scaleSearch: false);
            var searched = Quantize(weights, k, n, 4, 32, symmetric: true, path: path);
            for (int column = 0; column < n; column++)
            {
                for (int block = 0; block < 2; block++)
                {
                    float expected = ((column + block) % 2 == 0 ? 2f : -2f) / -8f;
                    Assert.Equal(expected, q.Scales[column * 2 + block]);
                    Assert.Equal(MathF.Sign(expected), MathF.Sign(searched.Scales[column * 2 + block]));
                }
            }
        }
    }

    [Fact]
    public void Asymmetric_parameters_span_the_range_including_zero()
    {
        float low = -0.3f, high = 0.9f;
        var weights = new float[32];
        weights[0] = low;
        weights[1] = high;
        weights[2] = 0.45f;
        for (int i = 16; i < 32; i++)
            weights[i] = 0.25f + i * 0.01f;

        var q = Quantize(weights, 32, 1, 4, 16, symmetric: false, scaleSearch: false);

        Assert.Equal((high - low) / 15f, q.Scales[0]);
        Assert.Equal(4, q.ZeroPoints[0] & 0xF);
        Assert.Equal(weights[31] / 15f, q.Scales[1]);
        Assert.Equal(0, q.ZeroPoints[0] >> 4);
        int[] levels = Nibbles(q.Packed);
        Assert.Equal(0, levels[0]);
        Assert.Equal(15, levels[1]);
        Assert.Equal(4 + (int)MathF.Round(0.45f * (1f / q.Scales[0]), MidpointRounding.ToEven), levels[2]);
        Assert.Equal(4, levels[3]);
        Assert.Equal(15, levels[31]);
    }

    [Fact]
    public void The_zero_point_rounds_half_away_from_zero_as_onnx_runtime_does()
    {
        var weights = new float[16];
        weights[0] = -1.25f;
        weights[1] = 6.25f;

        var q = Quantize(weights, 16, 1, 4, 16, symmetric: false, scaleSearch: false);

        Assert.Equal(0.5f, q.Scales[0]);
        Assert.Equal(3, q.ZeroPoints[0]);
        Assert.Equal(3, Quantize(weights, 16, 1, 4, 16, symmetric: false).ZeroPoints[0]);
    }

    [Fact]
    public void Padding_in_the_last_block_holds_the_zero_point()
    {
        int k = 19, n = 3;
        float[] weights = KernelTestData.Uniform(k * n, 5);

        foreach (bool scaleSearch in new[] { true, false })
        {
            var q4 = Quantize(weights, k, n, 4, 16, symmetric: false, scaleSearch: scaleSearch);
            for (int column = 0; column < n; column++)
            {
                int zeroPoint = q4.ZeroPoints[column] >> 4;
                int[] levels = Nibbles(q4.Packed.AsSpan((column * 2 + 1) * 8, 8).ToArray());
                Assert.All(levels[3..], level => Assert.Equal(zeroPoint, level));
            }

            var q8 = Quantize(weights, k, n, 8, 16, symmetric: true, scaleSearch: scaleSearch);
            for (int column = 0; column < n; column++)
                Assert.All(q8.Packed.AsSpan((column * 2 + 1) * 16 + 3, 13).ToArray(), level => Assert.Equal(128, level));
        }
    }

    [Fact]
    public void Four_bit_zero_points_pack_two_blocks_per_byte_in_a_row_per_column()
    {
        int k = 48, n = 2;
        var weights = new float[k * n];
        for (int block = 0; block < 3; block++)
        {
            for (int column = 0; column < n; column++)
            {
                weights[(block * 16) * n + column] = -(1 + block + 3 * column);
                weights[(block * 16 + 1) * n + column] = 15 - (1 + block + 3 * column);
            }
        }

        var q = Quantize(weights, k, n, 4, 16, symmetric: false);

        Assert.Equal(4, q.ZeroPoints.Length);
        Assert.Equal([0x21, 0x03, 0x54, 0x06], q.ZeroPoints);
        Assert.All(q.Scales, s => Assert.Equal(1f, s));
    }

    [Fact]
    public void All_zero_blocks_have_zero_scale_and_levels_at_the_zero_point()
    {
        var weights = new float[64 * 3];
        weights[0] = 1f;

        var symmetric = Quantize(weights, 64, 3, 4, 32, symmetric: true);
        Assert.Equal([-0.125f, 0f, 0f, 0f, 0f, 0f], symmetric.Scales);
        Assert.All(symmetric.Packed.Skip(16), level => Assert.Equal(0x88, level));
        Assert.Equal(weights, Dequantize(symmetric, 64, 3));

        var asymmetric = Quantize(weights, 64, 3, 8, 32, symmetric: false, scaleSearch: false);
        Assert.Equal([0, 0, 0, 0, 0, 0], asymmetric.ZeroPoints);
        Assert.Equal([1f / 255f, 0f, 0f, 0f, 0f, 0f], asymmetric.Scales);
        Assert.All(asymmetric.Packed.Skip(1), level => Assert.Equal(0, level));
        Assert.Equal(255, asymmetric.Packed[0]);

        var searched = Quantize(weights, 64, 3, 8, 32, symmetric: false);
        Assert.Equal([0, 0, 0, 0, 0, 0], searched.ZeroPoints);
        Assert.Equal(0, searched.Scales.Skip(1).Count(s => s != 0f));
        Assert.All(searched.Packed.Skip(1), level => Assert.Equal(0, level));
        float[] restored = Dequantize(searched, 64, 3);
        for (int i = 0; i < weights.Length; i++)
            Assert.Equal(weights[i], restored[i], 1e-6f);
    }

    [Fact]
    public void Vector_and_scalar_paths_are_bit_identical()
    {
        int seed = 1000;
        foreach (var (bits, blockSize, symmetric) in Formats().Select(row => ((int)row[0], (int)row[1], (bool)row[2])))
        {
            foreach (var (k, n) in Shapes(blockSize).Append((blockSize + 3, 100)))
            {
                foreach (string kind in KernelTestData.Kinds)
                {
                    float[] weights = KernelTestData.Make(kind, k * n, seed++);
                    foreach (bool scaleSearch in new[] { true, false })
                    {
                        var scalar = Quantize(weights, k, n, bits, blockSize, symmetric, path: KernelPath.Scalar, scaleSearch: scaleSearch);
                        foreach (var path in new[] { KernelPath.Vector128, KernelPath.Vector256, KernelPath.Vector512, KernelPath.Auto })
                        {
                            var vector = Quantize(weights, k, n, bits, blockSize, symmetric, path: path, scaleSearch: scaleSearch);
                            string label = $"{path} {kind} [{k}, {n}] bits {bits} block {blockSize} symmetric {symmetric} search {scaleSearch}";
                            AssertSame(scalar, vector, label);
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(4, 32, false, true)]
    [InlineData(4, 32, false, false)]
    [InlineData(4, 16, true, true)]
    [InlineData(4, 16, true, false)]
    [InlineData(8, 128, true, true)]
    [InlineData(8, 64, false, false)]
    public void Parallel_and_single_threaded_runs_are_bit_identical(int bits, int blockSize, bool symmetric, bool scaleSearch)
    {
        int k = 1000, n = 1061;
        float[] weights = KernelTestData.Gaussian(k * n, bits * blockSize);

        var single = Quantize(weights, k, n, bits, blockSize, symmetric, maxDegreeOfParallelism: 1, scaleSearch: scaleSearch);
        AssertSame(single, Quantize(weights, k, n, bits, blockSize, symmetric, scaleSearch: scaleSearch), "default parallelism");
        AssertSame(single, Quantize(weights, k, n, bits, blockSize, symmetric, maxDegreeOfParallelism: 3, scaleSearch: scaleSearch), "3 threads");
        AssertSame(single, Quantize(weights, k, n, bits, blockSize, symmetric, path: KernelPath.Scalar, scaleSearch: scaleSearch), "scalar, parallel");
        if (scaleSearch)
            AssertNoWorse(weights, single, Quantize(weights, k, n, bits, blockSize, symmetric, scaleSearch: false), k, n, bits, blockSize, "large");
        else
            AssertWithinStep(weights, single, k, n, bits, blockSize, symmetric, "large");
    }

    [Theory]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 37)]
    [InlineData(float.NegativeInfinity, 1 * 33 + 5)]
    [InlineData(float.NaN, 100 * 33 - 1)]
    public void Non_finite_weights_are_reported_at_their_index(float bad, int index)
    {
        foreach (bool symmetric in new[] { true, false })
        {
            foreach (var (path, scaleSearch) in new[] { (KernelPath.Scalar, true), (KernelPath.Auto, true), (KernelPath.Auto, false) })
            {
                float[] weights = KernelTestData.Uniform(100 * 33, 3);
                weights[index] = bad;

                var ex = Assert.Throws<NonFiniteWeightException>(() => Quantize(weights, 100, 33, 4, 32, symmetric, path: path, scaleSearch: scaleSearch));

                Assert.Equal(index, ex.Index);
                Assert.Equal(bad, ex.Value);
                Assert.Contains(index.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
            }
        }
    }

    [Fact]
    public void The_lowest_non_finite_index_is_reported_when_blocks_run_in_parallel()
    {
        int k = 1024, n = 1024;
        float[] weights = KernelTestData.Uniform(k * n, 8);
        weights[900 * n + 3] = float.NaN;
        weights[700 * n + 1000] = float.NegativeInfinity;
        weights[700 * n + 1001] = float.NaN;

        for (int attempt = 0; attempt < 3; attempt++)
        {
            var ex = Assert.Throws<NonFiniteWeightException>(() => Quantize(weights, k, n, 4, 32, symmetric: false));
            Assert.Equal(700L * n + 1000, ex.Index);
            Assert.Equal(float.NegativeInfinity, ex.Value);
        }
    }

    [Fact]
    public void Size_helpers_follow_the_matmulnbits_shapes()
    {
        var int4 = new BlockwiseFormat(4, 32, Symmetric: false);
        var int8 = new BlockwiseFormat(8, 32, Symmetric: false);
        Assert.Equal(4, int4.BlockCount(100));
        Assert.Equal(3, int4.BlockCount(96));
        Assert.Equal(7L * 4 * 16, int4.PackedByteCount(100, 7));
        Assert.Equal(7L * 4 * 32, int8.PackedByteCount(100, 7));
        Assert.Equal(7L * 2, int4.ZeroPointByteCount(100, 7));
        Assert.Equal(7L * 2, int4.ZeroPointByteCount(96, 7));
        Assert.Equal(7L * 4, int8.ZeroPointByteCount(100, 7));
        Assert.Equal(0L, (int4 with { Symmetric = true }).ZeroPointByteCount(100, 7));
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        float[] weights = new float[64 * 2];
        var packed = new byte[64];
        var scales = new float[4];

        var symmetric = new BlockwiseFormat(4, 32, Symmetric: true);

        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockwiseFormat(3, 32, Symmetric: true).PackedByteCount(64, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockwiseFormat(4, 48, Symmetric: true).PackedByteCount(64, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockwiseFormat(4, 512, Symmetric: true).PackedByteCount(64, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => symmetric.PackedByteCount(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => default(BlockwiseFormat).PackedByteCount(64, 2));
        BlockwiseQuantizer.Quantize(weights, 64, 2, symmetric, packed, scales, []);
        Assert.Throws<ArgumentException>(() => BlockwiseQuantizer.Quantize(weights, 64, 2, symmetric, packed, scales, new byte[2]));
        Assert.Throws<ArgumentException>(() => BlockwiseQuantizer.Quantize(weights, 64, 2, symmetric with { Symmetric = false }, packed, scales, []));
        Assert.Throws<ArgumentException>(() => BlockwiseQuantizer.Quantize(weights, 64, 2, symmetric, new byte[63], scales, []));
        Assert.Throws<ArgumentException>(() => BlockwiseQuantizer.Quantize(weights, 63, 2, symmetric, packed, scales, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockwiseQuantizer.Quantize(weights, 64, 2, default, packed, scales, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockwiseQuantizer.Quantize(weights, 64, 2, symmetric, packed, scales, [], new BlockwiseOptions { MaxDegreeOfParallelism = 0 }));
    }

    internal static void AssertWithinStep(float[] weights, Quantized q, int k, int n, int bits, int blockSize, bool symmetric, string label)
    {
        float[] restored = Dequantize(q, k, n);
        int kBlocks = q.Format.BlockCount(k);
        float middle = 1 << (bits - 1);
        for (int row = 0; row < k; row++)
        {
            for (int column = 0; column < n; column++)
            {
                float w = weights[row * n + column];
                float scale = q.Scales[column * kBlocks + row / blockSize];
                double allowed = KernelTestData.HalfStep(w, scale);
                if (symmetric && Math.Abs(w) > (middle - 0.5) * Math.Abs(scale))
                    allowed *= 2;
                float actual = restored[row * n + column];
                if (!float.IsFinite(actual) || Math.Abs((double)actual - w) > allowed)
                    Assert.Fail($"{label}: w[{row}, {column}] = {w:R} came back as {actual:R} (scale {scale:R}, allowed error {allowed:R})");
            }
        }
    }

    /// <summary>
    /// Asserts that every block of <paramref name="searched"/> reconstructs its weights with a squared error (in
    /// double) at most that of <paramref name="nearest"/>: in root-mean-square terms, plus 1e-4 of it (the search
    /// compares float sums), 1e-6 of the block's root energy (float rounding of the dequantized weights) and a few
    /// subnormal steps per weight (the rounding of a subnormal scale).
    /// </summary>
    internal static void AssertNoWorse(float[] weights, Quantized searched, Quantized nearest, int k, int n, int bits, int blockSize, string label)
    {
        float[] restored = Dequantize(searched, k, n);
        float[] reference = Dequantize(nearest, k, n);
        int kBlocks = searched.Format.BlockCount(k);
        for (int column = 0; column < n; column++)
        {
            for (int block = 0; block < kBlocks; block++)
            {
                double error = 0, referenceError = 0, energy = 0;
                int rows = Math.Min(blockSize, k - block * blockSize);
                for (int row = block * blockSize; row < block * blockSize + rows; row++)
                {
                    int i = row * n + column;
                    if (!float.IsFinite(restored[i]))
                        Assert.Fail($"{label}: w[{row}, {column}] = {weights[i]:R} came back as {restored[i]:R}");
                    error += Square((double)restored[i] - weights[i]);
                    referenceError += Square((double)reference[i] - weights[i]);
                    energy += Square(weights[i]);
                }

                double allowed = Square(Math.Sqrt(referenceError) * (1 + 1e-4) + 1e-6 * Math.Sqrt(energy) + Math.Sqrt(rows) * 256 * (double)float.Epsilon);
                if (!(error <= allowed))
                {
                    Assert.Fail(
                        $"{label}: column {column} block {block}: squared error {error:R} > round-to-nearest's {referenceError:R} " +
                        $"(energy {energy:R}, scales {searched.Scales[column * kBlocks + block]:R} and {nearest.Scales[column * kBlocks + block]:R})");
                }
            }
        }
    }

    private static double SquaredError(float[] weights, Quantized q, int k, int n, int bits, int blockSize)
    {
        float[] restored = Dequantize(q, k, n);
        return weights.Select((w, i) => Square((double)restored[i] - w)).Sum();
    }

    private static double Square(double value) => value * value;

    private static void AssertSame(Quantized expected, Quantized actual, string label)
    {
        Assert.True(expected.Packed.AsSpan().SequenceEqual(actual.Packed), $"{label}: packed levels differ");
        Assert.True(expected.ZeroPoints.AsSpan().SequenceEqual(actual.ZeroPoints), $"{label}: zero points differ");
        Assert.True(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected.Scales.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(actual.Scales.AsSpan())),
            $"{label}: scales differ");
    }

    private static int[] Nibbles(byte[] bytes) => bytes.SelectMany(b => new[] { b & 0xF, b >> 4 }).ToArray();
}
