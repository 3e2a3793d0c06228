namespace SlmOps.Validation;

/// <summary>The median and 95th percentile of a model's run time over several runs, in milliseconds.</summary>
public sealed record LatencyStats(int Runs, double P50Milliseconds, double P95Milliseconds)
{
    /// <summary>The percentiles of <paramref name="milliseconds"/> (nearest rank).</summary>
    public static LatencyStats Of(IReadOnlyList<double> milliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfZero(milliseconds.Count);
        double[] sorted = milliseconds.Order().ToArray();
        return new LatencyStats(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.95));
    }

    private static double Rank(double[] sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
