namespace SlmOps.Validation;

/// <summary>How <see cref="SampleSynthesizer"/> sizes and seeds the inputs it makes.</summary>
public sealed record SynthesisOptions
{
    /// <summary>The size of symbolic dimensions named like <c>batch</c>: 2, so rows of different padding meet.</summary>
    public int BatchSize { get; init; } = 2;

    /// <summary>The size of every other symbolic dimension (sequence, tokens, …).</summary>
    public int SequenceLength { get; init; } = 16;

    /// <summary>The seed of the values; the same seed gives the same samples.</summary>
    public int Seed { get; init; } = 4242;
}
