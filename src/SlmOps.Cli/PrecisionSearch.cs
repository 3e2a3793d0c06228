using System.Globalization;
using System.Runtime.InteropServices;
using SlmOps.Onnx;
using SlmOps.Packaging;
using SlmOps.Quantization;
using SlmOps.Validation;

namespace SlmOps.Cli;

/// <summary>
/// <c>Precision="auto"</c>: makes candidates from the smallest up, validates each against the original on the item's
/// samples with the item's gates and budgets, and keeps the smallest that passes every check. The ladder:
/// <list type="number">
/// <item>int4 everywhere (MatMuls and, unless <c>QuantizeEmbeddings=false</c>, embedding tables);</item>
/// <item>if that fails, every layer at 8 bits (int8-weight with the embedding tables); if that passes, the mix between
/// them: the layers ranked by how much error moving them from 4 to 8 bits removes per byte it adds
/// (<see cref="MixedPrecision.RelativeError"/>, weighed by the channels' activation energy on the samples), and the
/// fewest top-ranked layers at 8 bits that pass, found by bisection (as many checks as one by one would need when
/// the ranking holds, in log₂ of the layers' count);</item>
/// <item>fp16, then fp32 (the original as is).</item>
/// </list>
/// Every candidate is written to a scratch folder and deleted; the caller makes the chosen one again (the engine is
/// deterministic, so it is the same bytes that passed).
/// </summary>
internal sealed class PrecisionSearch(DiagnosticWriter diagnostics, Heartbeat? heartbeat)
{
    public const string Auto = "auto";

    /// <summary>One candidate tried: its name, its options (null: the original as is), its bytes and what validation found.</summary>
    public sealed record Trial(string Candidate, QuantizationOptions? Options, long Bytes, ValidationResult Result);

    /// <summary>What the search chose and everything it tried, in order.</summary>
    public sealed record Outcome(Trial Chosen, IReadOnlyList<string> Int8Layers, IReadOnlyList<Trial> Explored)
    {
        public VariantAutoPrecision ToManifest() => new(
            Chosen.Candidate,
            Int8Layers,
            Explored.Select(t => new VariantTrial(t.Candidate, t.Bytes, t.Result.Passed, VariantGate.Binding(VariantChecks.Gates(t.Result)).ToList())).ToList());
    }

    public Outcome Run(ModelRequest request, OnnxModel source, string kind, ValidationGates gates, ValidationBudgets budgets)
    {
        string scratch = Path.Combine(request.VariantDirectory, ".auto-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(scratch);
        try
        {
            return Search(request, source, kind, gates, budgets, scratch);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere: the next build's clean-up of the intermediate folder takes it.
            }
        }
    }

    private Outcome Search(ModelRequest request, OnnxModel source, string kind, ValidationGates gates, ValidationBudgets budgets, string scratch)
    {
        string subject = $"SlmOps: {request.Name} ({request.Target}): auto";
        bool onTarget = request.Target.SharesArchitectureWith(RuntimeInformation.RuntimeIdentifier);
        bool synthesized = request.Quantize.Optional(ModelSettings.SampleData) is null;
        heartbeat?.Step("reading the samples for Precision=auto");
        var samples = VariantValidator.LoadSamples(source.FilePath, VariantChecks.Settings(kind, gates, request.Quantize));
        var explored = new List<Trial>();
        long sourceBytes = source.FileLength + source.ExternalDataFiles.Sum(f => f.FileLength);

        // A candidate ships when it passes every check and is smaller than the original: on a tiny model the
        // quantized formats' scales and operators can outweigh the weights they save.
        bool Keeps(Trial trial) => trial.Result.Passed && (trial.Options is null || trial.Bytes < sourceBytes);

        Trial Try(string candidate, QuantizationOptions? options)
        {
            heartbeat?.Step($"auto: trying {candidate}");
            string folder = Path.Combine(scratch, explored.Count.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            string path = source.FilePath;
            long bytes = sourceBytes;
            if (options is not null)
            {
                path = Path.Combine(folder, WorkerFiles.Variant);
                bytes = ModelQuantizer.Quantize(source, path, options).OutputBytes;
            }

            var result = VariantChecks.Run(source.FilePath, path, copy: options is null, kind, gates, request.Quantize, samples) with { SynthesizedSamples = synthesized };
            result = VariantChecks.HoldTo(result, budgets, bytes, onTarget);
            Directory.Delete(folder, recursive: true);
            var trial = new Trial(candidate, options, bytes, result);
            explored.Add(trial);
            diagnostics.Progress($"{subject}: {candidate}, {InspectCommand.FormatBytes(bytes)}, {Describe(result)}" +
                (result.Passed && !Keeps(trial) ? ", but not smaller than the original" : ""));
            return trial;
        }

        var start = request.Quantize.ToOptions(request.Target) with { Int8Layers = [] };
        var int4 = Try("int4", start);
        if (Keeps(int4)) return Done(subject, int4, [], explored);

        var layers = MixedPrecision.Layers(source, start);
        if (layers.Count > 0)
        {
            var int8 = Try(layers.Any(l => l.IsEmbedding) ? "int8-weight + embeddings" : "int8-weight", start with { Precision = Precision.Int8Weight });
            if (Keeps(int8))
            {
                heartbeat?.Step("auto: ranking the layers");
                var ranked = Rank(source, start, layers, samples);
                Trial passing = int8;
                int failed = 0, passed = ranked.Count;
                while (passed - failed > 1)
                {
                    int middle = (failed + passed) / 2;
                    var mix = Try($"int4 + {middle}/{ranked.Count} int8", start with { Int8Layers = ranked.Take(middle).ToList() });
                    if (Keeps(mix))
                    {
                        (passed, passing) = (middle, mix);
                    }
                    else
                    {
                        failed = middle;
                    }
                }

                return Done(subject, passing, passing == int8 ? [] : passing.Options!.Int8Layers, explored);
            }
        }

        var fp16 = Try("fp16", start with { Precision = Precision.Fp16 });
        if (Keeps(fp16)) return Done(subject, fp16, [], explored);
        var fp32 = Try("fp32", start.Pruning is null ? null : start with { Precision = Precision.Fp32 });
        if (fp32.Result.Passed) return Done(subject, fp32, [], explored);

        // Nothing passes: the original (the most accurate candidate) goes on to the checks, which report its failures
        // as ValidationMode says; this error says the search itself found nothing.
        diagnostics.Progress($"{subject}: no candidate passes every check");
        return new Outcome(fp32, [], explored);
    }

    private Outcome Done(string subject, Trial chosen, IReadOnlyList<string> int8Layers, List<Trial> explored)
    {
        diagnostics.Progress($"{subject}: chose {chosen.Candidate} ({InspectCommand.FormatBytes(chosen.Bytes)}) after {explored.Count} candidate{(explored.Count == 1 ? "" : "s")}");
        return new Outcome(chosen, int8Layers, explored);
    }

    /// <summary>
    /// The layers' weight names, best first: by the error that 8 bits instead of 4 removes from the layer's output
    /// (activation-weighted on the samples) per byte it adds. Without activations (inputs the calibrator cannot
    /// feed) each channel weighs the same.
    /// </summary>
    private List<string> Rank(OnnxModel source, QuantizationOptions options, IReadOnlyList<QuantizableLayer> layers, IReadOnlyList<IReadOnlyList<TensorSample>> samples)
    {
        IReadOnlyDictionary<string, float[]> energies;
        try
        {
            energies = Calibrator.ChannelEnergies(source.FilePath, layers.Where(l => !l.IsEmbedding).Select(l => (l.Input!, checked((int)l.K))).ToList(), VariantChecks.ToFeeds(samples));
        }
        catch (Exception ex) when (ex is ValidationException or QuantizationException)
        {
            diagnostics.Info("SLM3000", source.FilePath, $"Precision=auto ranks the layers by their weights alone: the activations could not be measured ({ex.Message}).");
            energies = new Dictionary<string, float[]>();
        }

        return layers
            .Select((layer, order) =>
            {
                float[] energy = layer.Input is { } input && energies.TryGetValue(input, out var e) ? e : [];
                double removed = MixedPrecision.RelativeError(source, layer, 4, options, energy) - MixedPrecision.RelativeError(source, layer, 8, options, energy);
                double added = layer.BytesAt(8, options) - layer.BytesAt(4, options);
                return (layer.Weight, Score: removed / Math.Max(added, 1), order);
            })
            .OrderByDescending(l => l.Score).ThenBy(l => l.order)
            .Select(l => l.Weight)
            .ToList();
    }

    /// <summary>The binding gates, the median latency and whether the candidate passed, e.g. <c>MinCosine 0.9921 (>= 0.99), p50 12.0 ms, passed</c>.</summary>
    private static string Describe(ValidationResult result)
    {
        var gates = VariantGate.Binding(VariantChecks.Gates(result)).Select(VariantChecks.GateText);
        string verdict = result.Passed ? "passed" : $"failed ({string.Join("; ", result.Failures.Select(f => f.Code).Distinct())})";
        if (result.VariantLatency is { } latency) gates = gates.Append(string.Create(CultureInfo.InvariantCulture, $"p50 {latency.P50Milliseconds:0.0} ms"));
        return string.Join(", ", gates.Append(verdict));
    }
}
