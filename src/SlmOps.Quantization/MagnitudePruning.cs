namespace SlmOps.Quantization;

/// <summary>Zero the smallest-magnitude weights of each tensor until <paramref name="Sparsity"/> of it is zero.</summary>
public sealed record MagnitudePruning(double Sparsity) : Pruning
{
    public override string ToString() => Sparsity.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
