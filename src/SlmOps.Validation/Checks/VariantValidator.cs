using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Contracts;
using SlmOps.Onnx;

namespace SlmOps.Validation;

/// <summary>
/// Proves a variant in ONNX Runtime against the model it was made from: it loads (SLM4001), its graph inputs and
/// outputs are the original's in name, element type and rank (SLM4004: the generated wrapper relies on them), it
/// runs on the samples (SLM4002) without NaN or infinity where the original has none (SLM4003), and it stays within
/// the drift gates (SLM4010). Failures are collected, not thrown, so one report lists them all; only what stops the
/// checks from running at all (a model that does not load or run, an input no sample can be made for) ends them early.
/// </summary>
public static class VariantValidator
{
    /// <summary>Validates <paramref name="variantPath"/> against <paramref name="originalPath"/>.</summary>
    /// <exception cref="ValidationException">The original itself cannot be loaded or run, or no sample can be made.</exception>
    public static ValidationResult Validate(string originalPath, string variantPath, ValidationSettings settings)
    {
        using ModelRunner original = ModelRunner.Open(originalPath, settings.IntraOpThreads);
        ModelRunner variant;
        try
        {
            variant = ModelRunner.Open(variantPath, settings.IntraOpThreads);
        }
        catch (ValidationException ex)
        {
            return ValidationResult.Stopped(ex, settings.Synthesizes, original.LoadTime);
        }

        using (variant)
        {
            var failures = new List<ValidationFailure>();
            string? signature = SignatureDifference(original, variant);
            if (signature is not null)
            {
                failures.Add(new ValidationFailure(ValidationCodes.SignatureChanged, signature));
                return Result(original, variant, samples: 0, synthesized: settings.Synthesizes, [], [], [], failures);
            }

            IReadOnlyList<IReadOnlyList<TensorSample>> samples = settings.SamplesFor(originalPath, original, () => Synthesize(originalPath, original, settings.Synthesis));
            // The two models run side by side, one thread each (the sessions are separate; the loads stay one after
            // the other so each one's memory is its own): on MiniLM with 56 texts this halves the checks' time.
            var variantTask = Task.Run(() => samples.Select(variant.Run).ToList());
            List<IReadOnlyList<OutputTensor>> originalRuns;
            try
            {
                originalRuns = samples.Select(original.Run).ToList();
            }
            catch
            {
                // Let the variant's runs end before the sessions are disposed; what they threw, if anything, is moot.
                try { variantTask.Wait(); } catch (AggregateException) { }
                throw;
            }

            List<IReadOnlyList<OutputTensor>> variantRuns;
            try
            {
                variantRuns = variantTask.GetAwaiter().GetResult();
            }
            catch (ValidationException ex)
            {
                failures.Add(new ValidationFailure(ex.Code, ex.Message));
                return Result(original, variant, samples.Count, settings.Synthesizes, [], [], [], failures);
            }

            var drifts = new List<OutputDrift>();
            for (int o = 0; o < original.Outputs.Count; o++)
            {
                drifts.Add(DriftMetrics.Compare(original.Outputs[o].Key, originalRuns.Select(r => r[o]).ToList(), variantRuns.Select(r => r[o]).ToList()));
            }

            foreach (OutputDrift drift in drifts.Where(d => d.NonFinite > 0))
            {
                failures.Add(new ValidationFailure(ValidationCodes.NonFinite,
                    $"The output '{drift.Name}' has {drift.NonFinite} NaN or infinite values where the original's are finite."));
            }

            string kind = Kind(settings, original);
            IReadOnlyList<double> cosines = kind == ModelKinds.Embedding ? Cosines(original, samples, originalRuns, variantRuns) : [];
            Perplexities? perplexity = kind == ModelKinds.CausalLm ? Perplexity(original, samples, originalRuns, variantRuns) : null;
            List<GateResult> gates = Gates(settings.Gates, drifts, cosines, perplexity);
            foreach (GateResult gate in gates.Where(g => !g.Passed))
            {
                string side = gate.IsMinimum ? "below" : "above";
                failures.Add(new ValidationFailure(ValidationCodes.GateFailed, string.Create(CultureInfo.InvariantCulture,
                    $"{gate.Gate} of '{gate.Subject}' is {gate.Measured:0.######}, {side} the gate's {gate.Threshold:0.######}.")));
            }

            var (originalLatency, variantLatency) = Latencies(original, variant, samples[0], settings.LatencyRuns);
            return Result(original, variant, samples.Count, settings.Synthesizes, drifts, cosines, gates, failures) with
            {
                Kind = kind,
                Perplexity = perplexity,
                OriginalLatency = originalLatency,
                VariantLatency = variantLatency,
            };
        }
    }

    /// <summary>
    /// The samples <see cref="Validate"/> runs with <paramref name="settings"/> (given, read from the sample data, or
    /// synthesized from <paramref name="originalPath"/>'s inputs), for a caller that validates several variants of
    /// one model on the same samples and needs them itself.
    /// </summary>
    /// <exception cref="ValidationException">The original cannot be loaded, or no sample can be made for it.</exception>
    public static IReadOnlyList<IReadOnlyList<TensorSample>> LoadSamples(string originalPath, ValidationSettings settings)
    {
        using ModelRunner original = ModelRunner.Open(originalPath, settings.IntraOpThreads);
        return settings.SamplesFor(originalPath, original, () => Synthesize(originalPath, original, settings.Synthesis));
    }

    /// <summary>
    /// Checks a model on its own, for a variant that is a byte copy of its original (fp32, no pruning): it loads in
    /// ONNX Runtime (SLM4001) and runs on the samples (SLM4002). There is no drift to measure, so no gates.
    /// </summary>
    public static ValidationResult ValidateCopy(string modelPath, ValidationSettings settings)
    {
        ModelRunner model;
        try
        {
            model = ModelRunner.Open(modelPath, settings.IntraOpThreads);
        }
        catch (ValidationException ex)
        {
            return ValidationResult.Stopped(ex, settings.Synthesizes);
        }

        using (model)
        {
            var failures = new List<ValidationFailure>();
            IReadOnlyList<IReadOnlyList<TensorSample>> samples = [];
            LatencyStats? latency = null;
            try
            {
                samples = settings.SamplesFor(modelPath, model, () => Synthesize(modelPath, model, settings.Synthesis));
                foreach (IReadOnlyList<TensorSample> sample in samples) model.Run(sample);
                latency = Latency(model, samples[0], settings.LatencyRuns);
            }
            catch (ValidationException ex) when (ex.Code != ValidationCodes.InvalidSamples)
            {
                failures.Add(new ValidationFailure(ex.Code, ex.Message));
            }

            return new ValidationResult
            {
                OrtVersion = ModelRunner.OrtVersion,
                Kind = Kind(settings, model),
                SampleCount = samples.Count,
                SynthesizedSamples = settings.Synthesizes,
                OriginalLoadTime = model.LoadTime,
                VariantLoadTime = model.LoadTime,
                VariantLoadMemoryBytes = model.LoadMemoryBytes,
                OriginalLatency = latency,
                VariantLatency = latency,
                Outputs = [],
                Gates = [],
                Failures = failures,
            };
        }
    }

    private static string Kind(ValidationSettings settings, ModelRunner original) => settings.Kind == ModelKinds.Auto
        ? ModelInspection.DetectKind(original.Inputs.Select(i => i.Key), original.Outputs.Select(o => o.Key))
        : settings.Kind;

    private static LatencyStats? Latency(ModelRunner model, IReadOnlyList<TensorSample> sample, int runs)
    {
        if (runs <= 0) return null;
        var times = new List<double>(runs);
        model.Run(sample);
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            model.Run(sample);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return LatencyStats.Of(times);
    }

    private static IReadOnlyList<TensorSample> Synthesize(string originalPath, ModelRunner original, SynthesisOptions options)
    {
        using OnnxModel model = OnnxModelLoader.Load(originalPath, new OnnxLoadOptions { ComputeSha256 = false, DeferPayloadsOfAtLeast = 1024 });
        return SampleSynthesizer.Synthesize(original.Inputs, IndexBounds.Of(model.Proto.Graph), options, originalPath);
    }

    /// <summary>What differs between the two graphs' inputs and outputs (name, order, element type, rank), or null.</summary>
    private static string? SignatureDifference(ModelRunner original, ModelRunner variant)
    {
        var differences = new List<string>();
        Compare("input", original.Inputs, variant.Inputs, differences);
        Compare("output", original.Outputs, variant.Outputs, differences);
        return differences.Count == 0
            ? null
            : $"The variant's graph does not have the original's inputs and outputs, which the generated wrapper relies on: {string.Join("; ", differences)}.";
    }

    private static void Compare(string role, IReadOnlyList<KeyValuePair<string, NodeMetadata>> original, IReadOnlyList<KeyValuePair<string, NodeMetadata>> variant, List<string> differences)
    {
        if (!original.Select(p => p.Key).SequenceEqual(variant.Select(p => p.Key)))
        {
            differences.Add($"{role}s are ({string.Join(", ", variant.Select(p => p.Key))}), the original's ({string.Join(", ", original.Select(p => p.Key))})");
            return;
        }

        for (int i = 0; i < original.Count; i++)
        {
            NodeMetadata o = original[i].Value, v = variant[i].Value;
            if (o.IsTensor != v.IsTensor || (o.IsTensor && o.ElementDataType != v.ElementDataType))
                differences.Add($"{role} '{original[i].Key}' is {Describe(v)}, the original's {Describe(o)}");
            else if (o.IsTensor && o.Dimensions.Length != v.Dimensions.Length)
                differences.Add($"{role} '{original[i].Key}' has rank {v.Dimensions.Length}, the original's {o.Dimensions.Length}");
        }
    }

    private static string Describe(NodeMetadata value) => value.IsTensor ? value.ElementDataType.ToString() : value.OnnxValueType.ToString();

    /// <summary>The pooled-embedding cosines of the first rank-2 or rank-3 floating output (<c>last_hidden_state</c> when present).</summary>
    private static IReadOnlyList<double> Cosines(ModelRunner original, IReadOnlyList<IReadOnlyList<TensorSample>> samples,
        List<IReadOnlyList<OutputTensor>> originalRuns, List<IReadOnlyList<OutputTensor>> variantRuns)
    {
        int index = original.Outputs.ToList().FindIndex(o => o.Key == "last_hidden_state");
        if (index < 0) index = originalRuns[0].ToList().FindIndex(o => o.Floats is not null && o.Shape.Length is 2 or 3);
        if (index < 0) return [];
        var masks = Integers(samples, "attention_mask");
        return DriftMetrics.EmbeddingCosines(originalRuns.Select(r => r[index]).ToList(), variantRuns.Select(r => r[index]).ToList(), masks);
    }

    /// <summary>The perplexities on the <c>logits</c> output, when it is [batch, sequence, vocabulary] and the samples give <c>input_ids</c>.</summary>
    private static Perplexities? Perplexity(ModelRunner original, IReadOnlyList<IReadOnlyList<TensorSample>> samples,
        List<IReadOnlyList<OutputTensor>> originalRuns, List<IReadOnlyList<OutputTensor>> variantRuns)
    {
        int index = original.Outputs.ToList().FindIndex(o => o.Key == "logits");
        if (index < 0 || originalRuns.Any(r => r[index].Floats is null || r[index].Shape.Length != 3)) return null;
        var ids = Integers(samples, "input_ids");
        if (ids.Any(i => i is null)) return null;
        var masks = Integers(samples, "attention_mask");
        // With a KV cache the mask covers the past too ([batch, past + sequence]); a sample's past is empty, so it is the
        // sequence's, but a mask of another length says nothing position by position.
        for (int s = 0; s < masks.Count; s++)
            if (masks[s] is { } mask && mask.Length != ids[s]!.Length) masks[s] = null;
        return DriftMetrics.Perplexity(originalRuns.Select(r => r[index]).ToList(), variantRuns.Select(r => r[index]).ToList(), ids!, masks);
    }

    /// <summary>Each sample's integer input <paramref name="name"/> as int64 values; null for a sample without it.</summary>
    private static List<long[]?> Integers(IReadOnlyList<IReadOnlyList<TensorSample>> samples, string name) =>
        samples.Select(s => s.FirstOrDefault(t => t.Name == name)?.Values is Array a ? AsInt64(a) : null).ToList();

    private static long[]? AsInt64(Array values) => values switch
    {
        long[] l => l,
        int[] i => Array.ConvertAll(i, v => (long)v),
        bool[] b => Array.ConvertAll(b, v => v ? 1L : 0L),
        _ => null,
    };

    private static List<GateResult> Gates(ValidationGates gates, IReadOnlyList<OutputDrift> drifts, IReadOnlyList<double> cosines, Perplexities? perplexity)
    {
        var results = new List<GateResult>();
        if (gates.MinCosine is double minCosine && cosines.Count > 0)
        {
            double worst = cosines.Min();
            results.Add(new GateResult(nameof(ValidationGates.MinCosine), minCosine, worst, worst >= minCosine, "embedding"));
        }

        if (gates.MaxPerplexityIncrease is double maxIncrease && perplexity is not null)
        {
            double increase = perplexity.Increase;
            results.Add(new GateResult(nameof(ValidationGates.MaxPerplexityIncrease), maxIncrease, increase, increase <= maxIncrease, "logits"));
        }

        foreach (OutputDrift drift in drifts)
        {
            if (gates.MaxRelativeError is double maxError && drift.MismatchFraction is null)
                results.Add(new GateResult(nameof(ValidationGates.MaxRelativeError), maxError, drift.RelativeError, drift.RelativeError <= maxError, drift.Name));
            if (gates.MinTop1Agreement is double minAgreement && drift.Top1Agreement is double agreement)
                results.Add(new GateResult(nameof(ValidationGates.MinTop1Agreement), minAgreement, agreement, agreement >= minAgreement, drift.Name));
        }

        return results;
    }

    /// <summary>Alternate runs of the two models, so that machine noise falls on both alike; the first run of each is warm-up.</summary>
    private static (LatencyStats?, LatencyStats?) Latencies(ModelRunner original, ModelRunner variant, IReadOnlyList<TensorSample> sample, int runs)
    {
        if (runs <= 0) return (null, null);
        var times = (Original: new List<double>(runs), Variant: new List<double>(runs));
        original.Run(sample);
        variant.Run(sample);
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            original.Run(sample);
            times.Original.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            variant.Run(sample);
            times.Variant.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return (LatencyStats.Of(times.Original), LatencyStats.Of(times.Variant));
    }

    private static ValidationResult Result(ModelRunner original, ModelRunner variant, int samples, bool synthesized,
        IReadOnlyList<OutputDrift> drifts, IReadOnlyList<double> cosines, IReadOnlyList<GateResult> gates, IReadOnlyList<ValidationFailure> failures) => new()
    {
        OrtVersion = ModelRunner.OrtVersion,
        SampleCount = samples,
        SynthesizedSamples = synthesized,
        OriginalLoadTime = original.LoadTime,
        VariantLoadTime = variant.LoadTime,
        VariantLoadMemoryBytes = variant.LoadMemoryBytes,
        Outputs = drifts,
        Cosines = cosines,
        Gates = gates,
        Failures = failures,
    };
}
