namespace SlmOps.Validation;

/// <summary>
/// The thresholds a variant must meet against its original, named as the <c>SlmModel</c> metadata and the
/// <c>slmops validate --gate</c> options are. A null gate is not checked.
/// </summary>
public sealed record ValidationGates
{
    /// <summary>Embedding models: the worst cosine between the variant's and the original's pooled embeddings.</summary>
    public double? MinCosine { get; init; }

    /// <summary>Every floating-point output: the largest ‖variant − original‖₂ / ‖original‖₂.</summary>
    public double? MaxRelativeError { get; init; }

    /// <summary>Outputs named <c>logits</c>: the smallest fraction of positions whose top token agrees.</summary>
    public double? MinTop1Agreement { get; init; }

    /// <summary>
    /// Causal LMs: the largest increase of the next-token perplexity on the samples, relative to the original's
    /// (0.05 = the variant's perplexity is at most 5% higher).
    /// </summary>
    public double? MaxPerplexityIncrease { get; init; }

    /// <summary>The gate names, as metadata and <c>--gate</c> take them.</summary>
    public static IReadOnlyList<string> Names { get; } = [nameof(MinCosine), nameof(MaxRelativeError), nameof(MinTop1Agreement), nameof(MaxPerplexityIncrease)];

    /// <summary>
    /// The defaults for a precision: loose enough that the precision's ordinary error passes, tight enough that a
    /// broken variant (scrambled weights, NaN) fails. docs/validation.md gives the MiniLM measurements behind them.
    /// </summary>
    /// <param name="precision">The variant's precision; <c>auto</c> for the gates <c>Precision="auto"</c> searches with.</param>
    /// <param name="kind">
    /// The contract's kind. It matters for <c>auto</c> only: the search holds a candidate to int8-weight's accuracy in
    /// the metrics that fit the kind alone (pooled cosine for an embedding model, top-1 agreement and perplexity for a
    /// causal LM, relative error otherwise), since that is what the application sees; an int4 embedding table moves MiniLM's
    /// per-token hidden states by 0.30 relative error while its pooled embeddings keep a worst cosine of 0.994.
    /// </param>
    public static ValidationGates DefaultsFor(string precision, string? kind = null) => precision switch
    {
        "fp32" => new() { MinCosine = 0.9999, MaxRelativeError = 1e-4, MinTop1Agreement = 1.0, MaxPerplexityIncrease = 1e-4 },
        "fp16" => new() { MinCosine = 0.999, MaxRelativeError = 0.01, MinTop1Agreement = 0.99, MaxPerplexityIncrease = 0.01 },
        "int8-weight" => new() { MinCosine = 0.99, MaxRelativeError = 0.1, MinTop1Agreement = 0.9, MaxPerplexityIncrease = 0.02 },
        "auto" => kind switch
        {
            "embedding" => new() { MinCosine = 0.99 },
            "causal-lm" => new() { MinTop1Agreement = 0.9, MaxPerplexityIncrease = 0.02 },
            _ => new() { MaxRelativeError = 0.1 },
        },
        "int8" => new() { MinCosine = 0.98, MaxRelativeError = 0.25, MinTop1Agreement = 0.85, MaxPerplexityIncrease = 0.05 },
        _ => new() { MinCosine = 0.95, MaxRelativeError = 0.35, MinTop1Agreement = 0.8, MaxPerplexityIncrease = 0.1 },
    };

    /// <summary>
    /// These gates with <paramref name="values"/> (gate name -> text) applied over them: a number, a percentage
    /// (<c>5%</c> = 0.05), or <c>none</c> to turn the gate off.
    /// </summary>
    /// <exception cref="FormatException">An unknown gate name or a value that is not a number; the message names it.</exception>
    public ValidationGates With(IEnumerable<KeyValuePair<string, string>> values)
    {
        ValidationGates gates = this;
        foreach ((string name, string text) in values)
        {
            double? value = Parse(name, text);
            gates = name switch
            {
                _ when name.Equals(nameof(MinCosine), StringComparison.OrdinalIgnoreCase) => gates with { MinCosine = value },
                _ when name.Equals(nameof(MaxRelativeError), StringComparison.OrdinalIgnoreCase) => gates with { MaxRelativeError = value },
                _ when name.Equals(nameof(MinTop1Agreement), StringComparison.OrdinalIgnoreCase) => gates with { MinTop1Agreement = value },
                _ when name.Equals(nameof(MaxPerplexityIncrease), StringComparison.OrdinalIgnoreCase) => gates with { MaxPerplexityIncrease = value },
                _ => throw new FormatException($"'{name}' is not a validation gate; the gates are {string.Join(", ", Names)}."),
            };
        }

        return gates;
    }

    private static double? Parse(string name, string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        bool percent = trimmed.EndsWith('%');
        if (percent) trimmed = trimmed[..^1].TrimEnd();
        if (!double.TryParse(trimmed, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value)
            || !double.IsFinite(value) || value < 0)
        {
            throw new FormatException($"{name}=\"{text}\" is not a threshold: give a non-negative number such as 0.99, a percentage such as 5%, or none.");
        }

        return percent ? value / 100 : value;
    }
}
