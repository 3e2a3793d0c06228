namespace SlmOps.Validation;

/// <summary>Everything one validation of a variant against its original measured, and what it failed.</summary>
public sealed record ValidationResult
{
    /// <summary>The ONNX Runtime version that ran both models.</summary>
    public required string OrtVersion { get; init; }

    /// <summary>The kind whose metrics were measured (<c>auto</c> resolved from the graph's names); null when the checks ended before.</summary>
    public string? Kind { get; init; }

    /// <summary>How many samples both models ran.</summary>
    public required int SampleCount { get; init; }

    /// <summary>Whether the samples were synthesized from the graph inputs rather than given.</summary>
    public required bool SynthesizedSamples { get; init; }

    /// <summary>Session creation time of the original and of the variant.</summary>
    public required TimeSpan OriginalLoadTime { get; init; }

    /// <inheritdoc cref="OriginalLoadTime"/>
    public required TimeSpan VariantLoadTime { get; init; }

    /// <summary>The working-set growth while the variant's session was created (<see cref="ModelRunner.LoadMemoryBytes"/>).</summary>
    public long VariantLoadMemoryBytes { get; init; }

    /// <summary>Latency percentiles of the original and the variant on the first sample, measured alternately; null without timed runs.</summary>
    public LatencyStats? OriginalLatency { get; init; }

    /// <inheritdoc cref="OriginalLatency"/>
    public LatencyStats? VariantLatency { get; init; }

    /// <summary>The drift of every output.</summary>
    public required IReadOnlyList<OutputDrift> Outputs { get; init; }

    /// <summary>Embedding models: the cosine of every pooled embedding (one per row per sample).</summary>
    public IReadOnlyList<double> Cosines { get; init; } = [];

    /// <summary>Causal LMs: the next-token perplexity of both models on the samples; null for other kinds or without a next token.</summary>
    public Perplexities? Perplexity { get; init; }

    /// <summary>The gates that were checked.</summary>
    public required IReadOnlyList<GateResult> Gates { get; init; }

    /// <summary>The checks the variant failed; empty when it passes.</summary>
    public required IReadOnlyList<ValidationFailure> Failures { get; init; }

    /// <summary>The result of checks that <paramref name="failure"/> stopped before anything was measured.</summary>
    public static ValidationResult Stopped(ValidationException failure, bool synthesized, TimeSpan originalLoadTime = default) => new()
    {
        OrtVersion = ModelRunner.OrtVersion,
        SampleCount = 0,
        SynthesizedSamples = synthesized,
        OriginalLoadTime = originalLoadTime,
        VariantLoadTime = TimeSpan.Zero,
        Outputs = [],
        Gates = [],
        Failures = [new ValidationFailure(failure.Code, failure.Message)],
    };

    /// <summary>Whether every check passed.</summary>
    public bool Passed => Failures.Count == 0;
}
