namespace SlmOps.Quantization.Tests.Kernels;

/// <summary>Deterministic weight tensors for the kernel tests.</summary>
internal static class KernelTestData
{
    /// <summary>Uniform values in [-scale, scale].</summary>
    public static float[] Uniform(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>Normally distributed values (Box-Muller), as trained weights roughly are, plus a few larger outliers.</summary>
    public static float[] Gaussian(int count, int seed, float sigma = 0.05f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            double z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            values[i] = (float)(z * sigma * (random.Next(64) == 0 ? 8 : 1));
        }

        return values;
    }

    /// <summary>Magnitudes spread over 10^-30 to 10^30 (and a few exact zeros), so blocks mix huge and tiny weights.</summary>
    public static float[] WideRange(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double magnitude = Math.Pow(10, random.NextDouble() * 60 - 30);
            values[i] = random.Next(16) == 0 ? 0f : (float)(random.Next(2) == 0 ? magnitude : -magnitude);
        }

        return values;
    }

    /// <summary>Subnormal values only (|w| below 2^-126), including the smallest ones.</summary>
    public static float[] Subnormal(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            int bits = random.Next(4) == 0 ? random.Next(1, 16) : random.Next(1, 0x007F_FFFF);
            values[i] = BitConverter.Int32BitsToSingle(random.Next(2) == 0 ? bits : bits | int.MinValue);
        }

        return values;
    }

    /// <summary>
    /// Magnitudes up to 1.75e38 on both sides, so the asymmetric range max - min overflows float (while every level
    /// still dequantizes to a finite value).
    /// </summary>
    public static float[] Huge(int count, int seed)
    {
        var values = Uniform(count, seed, 1.5e38f);
        values[0] = 1.75e38f;
        values[^1] = -1.75e38f;
        return values;
    }

    /// <summary>Named data sets for theories.</summary>
    public static float[] Make(string kind, int count, int seed) => kind switch
    {
        "uniform" => Uniform(count, seed),
        "gaussian" => Gaussian(count, seed),
        "wide" => WideRange(count, seed),
        "subnormal" => Subnormal(count, seed),
        "huge" => Huge(count, seed),
        "zeros" => new float[count],
        "constant" => Enumerable.Repeat(0.375f, count).ToArray(),
        "negative-constant" => Enumerable.Repeat(-2.5f, count).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The data sets <see cref="Make"/> knows.</summary>
    public static readonly string[] Kinds = ["uniform", "gaussian", "wide", "subnormal", "huge", "zeros", "constant", "negative-constant"];

    /// <summary>
    /// The largest error a round-to-nearest quantizer with step <paramref name="step"/> may make on
    /// <paramref name="weight"/>: half a step, plus float rounding of the scale and reciprocal (relative) and of
    /// subnormal arithmetic (absolute, a few hundred times the smallest subnormal).
    /// </summary>
    public static double HalfStep(float weight, float step) =>
        0.5 * Math.Abs(step) * (1 + 1e-5) + 1e-6 * Math.Abs(weight) + 256 * (double)float.Epsilon;
}
