namespace SlmOps.Quantization.Kernels;

/// <summary>Scale arithmetic shared by the quantizers.</summary>
internal static class QuantParams
{
    /// <summary>2^64: lifts subnormal weights and scales into the normal range without rounding them.</summary>
    public const float SubnormalPrescale = 18446744073709551616f;

    /// <summary>
    /// The factors the kernels quantize with, <c>round(w * prescale * reciprocal)</c>, so that every path multiplies
    /// by the same reciprocal. Normally <c>prescale = 1</c> and <c>reciprocal = 1 / scale</c>. A scale so small that
    /// its reciprocal overflows (a block of subnormal weights) is lifted by 2^64 first, exactly, so the block still
    /// quantizes to within a step. A zero scale (all-zero weights) gets a zero reciprocal: every weight maps to the
    /// zero point.
    /// </summary>
    public static void Reciprocal(float scale, out float prescale, out float reciprocal)
    {
        prescale = 1f;
        reciprocal = scale == 0f ? 0f : 1f / scale;
        if (!float.IsFinite(reciprocal))
        {
            prescale = SubnormalPrescale;
            reciprocal = 1f / (scale * SubnormalPrescale);
        }
    }

    /// <summary>
    /// <c>(max - min) / levels</c>; when the range itself overflows (weights near ±float.MaxValue on both sides), the
    /// two ends are divided first so the scale stays finite.
    /// </summary>
    public static float AsymmetricScale(float min, float max, float levels)
    {
        float range = max - min;
        return float.IsFinite(range) ? range / levels : max / levels - min / levels;
    }
}
