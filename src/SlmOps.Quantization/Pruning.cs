namespace SlmOps.Quantization;

/// <summary>Weight pruning applied before quantization.</summary>
public abstract record Pruning
{
    /// <summary>Parses <c>0.5</c> (unstructured magnitude pruning to that sparsity) or <c>2:4</c>.</summary>
    public static Pruning Parse(string text)
    {
        if (text.Trim() == "2:4") return new TwoFourPruning();
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double sparsity)
            && sparsity > 0 && sparsity < 1)
        {
            return new MagnitudePruning(sparsity);
        }
        throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null,
            $"'{text}' is not a pruning setting; use a sparsity between 0 and 1 (for example 0.5) or 2:4.");
    }
}
