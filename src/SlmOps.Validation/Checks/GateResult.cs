namespace SlmOps.Validation;

/// <summary>One gate as it was checked: its threshold, what was measured, and whether that passes.</summary>
/// <param name="Gate">The gate's name (<see cref="ValidationGates.Names"/>).</param>
/// <param name="Threshold">The threshold it was held to.</param>
/// <param name="Measured">The measured value (a worst case: the smallest cosine, the largest error).</param>
/// <param name="Passed">Whether <paramref name="Measured"/> is on the right side of <paramref name="Threshold"/>.</param>
/// <param name="Subject">What was measured: an output's name, or <c>embedding</c>.</param>
public sealed record GateResult(string Gate, double Threshold, double Measured, bool Passed, string Subject)
{
    /// <summary>A <c>Min…</c> gate: the measured value must be at least the threshold (else at most).</summary>
    public bool IsMinimum => Gate.StartsWith("Min", StringComparison.Ordinal);
}
