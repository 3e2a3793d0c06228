namespace SlmOps.Quantization;

/// <summary>The calibrated float range of one activation tensor.</summary>
/// <param name="Min">The smallest value the range covers.</param>
/// <param name="Max">The largest value the range covers (at least <paramref name="Min"/>).</param>
public readonly record struct ActivationRange(float Min, float Max);
