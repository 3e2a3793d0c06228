namespace SlmOps.Packaging;

/// <summary>
/// How a variant was proven in ONNX Runtime before it shipped, for its manifest: the mode, whether every check
/// passed, the runtime, the samples, every gate with what it measured, and the latency on the build machine.
/// </summary>
/// <param name="Mode"><c>error</c> or <c>warn</c> (a variant with <c>off</c> has no validation section).</param>
/// <param name="Passed">Whether every check passed; false only in <c>warn</c> mode, as an error stops the build.</param>
/// <param name="OnnxRuntime">The ONNX Runtime version that ran the checks.</param>
/// <param name="Kind">The kind whose metrics apply (<c>embedding</c>, <c>causal-lm</c>, <c>generic</c>).</param>
/// <param name="Samples">How many samples the variant and its original ran.</param>
/// <param name="Synthesized">Whether the samples were made from the graph inputs rather than given.</param>
/// <param name="Gates">Every gate that was checked.</param>
/// <param name="Failures">The failed checks as <c>SLM4xxx: message</c>; empty when it passed.</param>
/// <param name="Latency">The variant's run time on the first sample; null when it did not run.</param>
public sealed record VariantValidation(
    string Mode,
    bool Passed,
    string OnnxRuntime,
    string Kind,
    int Samples,
    bool Synthesized,
    IReadOnlyList<VariantGate> Gates,
    IReadOnlyList<string> Failures,
    VariantLatency? Latency);

/// <summary>One gate as checked: its name (<c>MinCosine</c>, …), what it measured, the value and the threshold.</summary>
public sealed record VariantGate(string Gate, string Subject, double Measured, double Threshold, bool Passed)
{
    /// <summary>A <c>Min…</c> gate: the measured value must be at least the threshold (else at most).</summary>
    public bool IsMinimum => Gate.StartsWith("Min", StringComparison.Ordinal);

    /// <summary>
    /// Per gate name, in the order first seen, the subject that binds: a failed one when there is one (a NaN never
    /// compares as the worst), else the lowest value of a <c>Min…</c> gate or the highest of a <c>Max…</c> gate.
    /// </summary>
    public static IEnumerable<VariantGate> Binding(IEnumerable<VariantGate> gates) =>
        gates.GroupBy(g => g.Gate).Select(byName =>
            byName.FirstOrDefault(g => !g.Passed) ?? (byName.First().IsMinimum ? byName.MinBy(g => g.Measured)! : byName.MaxBy(g => g.Measured)!));
}

/// <summary>
/// Run times in milliseconds on <paramref name="Host"/>, the machine that built (a RID): the variant's and the
/// original's, timed alternately. For a target of another architecture they say little about the device.
/// </summary>
public sealed record VariantLatency(string Host, int Runs, double P50, double P95, double OriginalP50, double OriginalP95);
