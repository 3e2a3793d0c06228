namespace SlmOps.Validation;

/// <summary>What <see cref="VariantValidator"/> checks, on which inputs.</summary>
public sealed record ValidationSettings
{
    /// <summary>The model's kind (<c>embedding</c>, <c>causal-lm</c>, <c>generic</c>, or <c>auto</c>: from the graph's names), which picks the metrics.</summary>
    public string Kind { get; init; } = "auto";

    /// <summary>The thresholds; see <see cref="ValidationGates.DefaultsFor"/>.</summary>
    public ValidationGates Gates { get; init; } = ValidationGates.DefaultsFor("int4");

    /// <summary>The samples to run; null to synthesize one from the graph inputs (<see cref="SampleSynthesizer"/>).</summary>
    public IReadOnlyList<IReadOnlyList<TensorSample>>? Samples { get; init; }

    /// <summary>How synthesized samples are sized and seeded.</summary>
    public SynthesisOptions Synthesis { get; init; } = new();

    /// <summary>Timed runs of each model on the first sample, for the latency percentiles (0: none).</summary>
    public int LatencyRuns { get; init; } = 10;

    /// <summary>Threads per op in both sessions; 1 keeps the numbers independent of the machine's core count.</summary>
    public int IntraOpThreads { get; init; } = 1;
}
