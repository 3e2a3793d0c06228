namespace SlmOps.Quantization;

/// <summary>Weights ready for a kernel: a mapped payload or an array; <see cref="Sparsity"/> is set when pruned.</summary>
internal sealed class WeightValues(FloatPayload? mapped, float[]? array, double? sparsity) : IDisposable
{
    public ReadOnlySpan<float> Values => mapped is null ? array : mapped.Values;

    /// <summary>The values as an array (pruning paths only, where they were copied).</summary>
    public float[] Array => array ?? throw new InvalidOperationException("The weights are mapped, not copied.");

    public double? Sparsity => sparsity;

    public void Dispose() => mapped?.Dispose();
}
