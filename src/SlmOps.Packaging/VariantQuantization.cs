namespace SlmOps.Packaging;

/// <summary>
/// What quantization did to a variant, for its manifest: the settings as the CLI would spell them, how many tensors
/// it rewrote, the weight bytes before and after, and the mean sparsity when it pruned.
/// </summary>
public sealed record VariantQuantization(string Settings, int Tensors, long WeightBytesBefore, long WeightBytesAfter, double? MeanSparsity);
