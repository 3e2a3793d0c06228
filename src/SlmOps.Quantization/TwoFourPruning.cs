namespace SlmOps.Quantization;

/// <summary>2:4 structured sparsity: in every group of four weights along the reduction dimension, two are zero.</summary>
public sealed record TwoFourPruning : Pruning
{
    public override string ToString() => "2:4";
}
