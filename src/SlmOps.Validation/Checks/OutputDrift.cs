namespace SlmOps.Validation;

/// <summary>How far one output of the variant is from the original's on the same samples.</summary>
/// <param name="Name">The graph output.</param>
/// <param name="RelativeError">‖variant − original‖₂ / ‖original‖₂ over all samples (0 for integer outputs).</param>
/// <param name="MaxAbsError">The largest |variant − original| of any value.</param>
/// <param name="NonFinite">The variant's NaN and infinite values where the original's are finite.</param>
/// <param name="MismatchFraction">Integer and boolean outputs: the fraction of values that differ; null for floating point.</param>
/// <param name="Top1Agreement">Outputs named <c>logits</c>: the fraction of positions whose largest logit is the same token.</param>
public sealed record OutputDrift(string Name, double RelativeError, double MaxAbsError, long NonFinite, double? MismatchFraction, double? Top1Agreement);
