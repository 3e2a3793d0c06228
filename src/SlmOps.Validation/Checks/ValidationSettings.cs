namespace SlmOps.Validation;

/// <summary>What <see cref="VariantValidator"/> checks, on which inputs.</summary>
public sealed record ValidationSettings
{
    /// <summary>The model's kind (<c>embedding</c>, <c>causal-lm</c>, <c>generic</c>, or <c>auto</c>: from the graph's names), which picks the metrics.</summary>
    public string Kind { get; init; } = "auto";

    /// <summary>The thresholds; see <see cref="ValidationGates.DefaultsFor"/>.</summary>
    public ValidationGates Gates { get; init; } = ValidationGates.DefaultsFor("int4");

    /// <summary>The samples to run; null: read <see cref="SampleData"/>, or without it synthesize one from the graph inputs (<see cref="SampleSynthesizer"/>).</summary>
    public IReadOnlyList<IReadOnlyList<TensorSample>>? Samples { get; init; }

    /// <summary>A text file or tensor folder to read the samples from (<see cref="Validation.SampleData"/>) when <see cref="Samples"/> is null.</summary>
    public string? SampleData { get; init; }

    /// <summary>For text samples: the WordPiece vocabulary; null: <c>vocab.txt</c> beside the original model.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>Whether the samples are synthesized (neither <see cref="Samples"/> nor <see cref="SampleData"/> given).</summary>
    public bool Synthesizes => Samples is null && SampleData is null;

    /// <summary>The given samples, the ones <see cref="SampleData"/> names, or one synthesized from the graph inputs.</summary>
    internal IReadOnlyList<IReadOnlyList<TensorSample>> SamplesFor(string modelPath, ModelRunner model, Func<IReadOnlyList<TensorSample>> synthesize) =>
        Samples ?? (SampleData is { } path ? Validation.SampleData.Load(path, model.Inputs, Tokenizer, modelPath) : [synthesize()]);

    /// <summary>How synthesized samples are sized and seeded.</summary>
    public SynthesisOptions Synthesis { get; init; } = new();

    /// <summary>Timed runs of each model on the first sample, for the latency percentiles (0: none).</summary>
    public int LatencyRuns { get; init; } = 10;

    /// <summary>Threads per op in both sessions; 1 keeps the numbers independent of the machine's core count.</summary>
    public int IntraOpThreads { get; init; } = 1;
}
