using System.Globalization;
using System.Runtime.InteropServices;
using SlmOps.Packaging;
using SlmOps.Validation;

namespace SlmOps.Cli;

/// <summary>
/// The validation step of a preparation: the item's <c>ValidationMode</c> and gates read from its settings, the
/// checks run in ONNX Runtime (<see cref="VariantValidator"/>), and what they found as the manifest records it and
/// as the build's summary line shows it.
/// </summary>
internal static class VariantChecks
{
    /// <summary>
    /// The item's <c>ValidationMode</c>, the precision's default gates (for the model's kind) with the item's gate
    /// metadata over them, and the item's budgets. Throws <see cref="ValidationException"/> (SLM4006) for a malformed one.
    /// </summary>
    public static (ValidationMode Mode, ValidationGates Gates, ValidationBudgets Budgets) Read(QuantizeSettings settings, string precision, string kind)
    {
        try
        {
            return (
                ValidationModes.Parse(settings[ModelSettings.ValidationMode]),
                ValidationGates.DefaultsFor(precision, kind).With(ModelSettings.Gates
                    .Where(g => settings[g].Trim().Length > 0)
                    .Select(g => KeyValuePair.Create(g.Metadata, settings[g]))),
                ValidationBudgets.Parse(settings[ModelSettings.MaxModelSize], settings[ModelSettings.MaxLoadTime], settings[ModelSettings.MaxLatency], settings[ModelSettings.MaxMemory]));
        }
        catch (FormatException ex)
        {
            throw new ValidationException(ValidationCodes.InvalidSettings, null, ex.Message, ex);
        }
    }

    /// <summary>
    /// Holds <paramref name="result"/> to <paramref name="budgets"/>: the size always; load time, latency and memory
    /// only when the build machine has the target's architecture (<paramref name="measuredOnTarget"/>), since they are
    /// measured here. Each budget checked is a gate of the result; each one exceeded an SLM4011 failure.
    /// </summary>
    public static ValidationResult HoldTo(ValidationResult result, ValidationBudgets budgets, long variantBytes, bool measuredOnTarget)
    {
        if (!budgets.Any) return result;
        var gates = new List<GateResult>(result.Gates);
        var failures = new List<ValidationFailure>(result.Failures);
        void Check(string name, double? limit, double? measured, string unit, string what)
        {
            if (limit is not double threshold || measured is not double value) return;
            bool passed = value <= threshold;
            gates.Add(new GateResult(name, threshold, value, passed, what));
            if (!passed)
            {
                failures.Add(new ValidationFailure(ValidationCodes.BudgetExceeded, string.Create(CultureInfo.InvariantCulture,
                    $"{name}: the {what} is {value:G4} {unit}, over the budget of {threshold:G4} {unit}.")));
            }
        }

        Check(nameof(ValidationBudgets.MaxModelSize), budgets.MaxModelSize, variantBytes / 1e6, "MB", "variant's size");
        bool ran = result.SampleCount > 0;
        if (measuredOnTarget && ran)
        {
            Check(nameof(ValidationBudgets.MaxLoadTime), budgets.MaxLoadTime, result.VariantLoadTime.TotalMilliseconds, "ms", "session's load time");
            Check(nameof(ValidationBudgets.MaxLatency), budgets.MaxLatency, result.VariantLatency?.P95Milliseconds, "ms", "p95 latency");
            Check(nameof(ValidationBudgets.MaxMemory), budgets.MaxMemory, result.VariantLoadMemoryBytes / 1e6, "MB", "session's memory");
        }

        return result with { Gates = gates, Failures = failures };
    }

    /// <summary>Runs the checks: against the original for a rewritten variant, on its own for a copy.</summary>
    /// <param name="samples">The item's samples read already (<see cref="VariantValidator.LoadSamples"/>); null: read or synthesize them.</param>
    public static ValidationResult Run(string original, string variant, bool copy, string kind, ValidationGates gates, QuantizeSettings item,
        IReadOnlyList<IReadOnlyList<TensorSample>>? samples = null)
    {
        var settings = Settings(kind, gates, item) with { Samples = samples };
        try
        {
            return copy ? VariantValidator.ValidateCopy(variant, settings) : VariantValidator.Validate(original, variant, settings);
        }
        catch (ValidationException ex) when (ex.Code is not (ValidationCodes.RuntimeMissing or ValidationCodes.InvalidSamples))
        {
            // The original itself does not load or run, or no sample can be made for it: the variant is not proven
            // either, and ValidationMode decides what that does to the build, as for any failed check. (Sample data
            // that cannot be read is the project's mistake, an error in every mode.)
            return ValidationResult.Stopped(ex, settings.Synthesizes);
        }
    }

    /// <summary>The validation settings of an item: its kind, gates, sample data and tokenizer.</summary>
    public static ValidationSettings Settings(string kind, ValidationGates gates, QuantizeSettings item) => new()
    {
        Kind = kind,
        Gates = gates,
        SampleData = item.Optional(ModelSettings.SampleData),
        Tokenizer = item.Optional(ModelSettings.Tokenizer),
    };

    /// <summary>
    /// Static QDQ without <c>CalibrationRanges</c>: the activation ranges from the item's <c>SampleData</c>, computed in
    /// ONNX Runtime on the source (<see cref="Calibrator"/>, min-max). Null when the item has no sample data.
    /// </summary>
    public static SlmOps.Quantization.ActivationRanges? Calibrate(string source, SlmOps.Quantization.QuantizationOptions options, QuantizeSettings item) =>
        item.Optional(ModelSettings.SampleData) is { } path
            ? Calibrate(source, options, path, item.Optional(ModelSettings.Tokenizer), new CalibrationSettings())
            : null;

    /// <summary>Activation ranges of <paramref name="source"/> on the samples at <paramref name="sampleData"/> (a text file or a tensor folder, as <c>SampleData</c>).</summary>
    public static SlmOps.Quantization.ActivationRanges Calibrate(string source, SlmOps.Quantization.QuantizationOptions options, string sampleData, string? tokenizer, CalibrationSettings settings)
    {
        IReadOnlyList<IReadOnlyList<TensorSample>> samples;
        using (ModelRunner model = ModelRunner.Open(source, intraOpThreads: 1))
        {
            samples = SampleData.Load(sampleData, model.Inputs, tokenizer, source);
        }

        return Calibrator.Calibrate(source, options, ToFeeds(samples), settings);
    }

    /// <summary>Samples as the calibrator takes them: each input by name.</summary>
    public static List<IReadOnlyDictionary<string, CalibrationInput>> ToFeeds(IEnumerable<IReadOnlyList<TensorSample>> samples) =>
        samples.Select(sample => (IReadOnlyDictionary<string, CalibrationInput>)sample.ToDictionary(s => s.Name, ToCalibration)).ToList();

    private static CalibrationInput ToCalibration(TensorSample sample) => sample.Values switch
    {
        float[] f when sample.ElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => CalibrationInput.Float(f, sample.Shape),
        long[] l when sample.ElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 => CalibrationInput.Int64(l, sample.Shape),
        int[] i when sample.ElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int32 => CalibrationInput.Int32(i, sample.Shape),
        _ => throw new ValidationException(ValidationCodes.InvalidSamples, null,
            $"Calibration takes float, int64 and int32 inputs; the sample's '{sample.Name}' is {sample.ElementType}."),
    };

    /// <summary>The manifest's validation section.</summary>
    public static VariantValidation ToManifest(ValidationResult result, ValidationMode mode) => new(
        ValidationModes.Format(mode),
        result.Passed,
        result.OrtVersion,
        result.Kind ?? "",
        result.SampleCount,
        result.SynthesizedSamples,
        Gates(result),
        result.Failures.Select(f => $"{f.Code}: {f.Message}").ToList(),
        result.VariantLatency is { } v && result.OriginalLatency is { } o
            ? new VariantLatency(RuntimeInformation.RuntimeIdentifier, v.Runs, v.P50Milliseconds, v.P95Milliseconds, o.P50Milliseconds, o.P95Milliseconds)
            : null);

    /// <summary>The gates a validation checked, as the manifest records them.</summary>
    public static List<VariantGate> Gates(ValidationResult result) =>
        result.Gates.Select(g => new VariantGate(g.Gate, g.Subject, g.Measured, g.Threshold, g.Passed)).ToList();

    /// <summary>A gate as the build prints it: <c>MinCosine 0.9662 (>= 0.95)</c>.</summary>
    public static string GateText(VariantGate gate) => string.Create(CultureInfo.InvariantCulture,
        $"{gate.Gate} {gate.Measured:0.####} ({(gate.IsMinimum ? ">=" : "<=")} {gate.Threshold:0.####})");

    /// <summary>
    /// The validation part of the model's summary line, from the manifest's section: each gate's binding value
    /// (<see cref="VariantGate.Binding"/>, as the report shows it), the variant's median latency beside the original's,
    /// and whether it passed; e.g. <c>MinCosine 0.9662 (>= 0.95), p50 12.1 ms (original 10.6 ms)</c>.
    /// </summary>
    public static string Summary(VariantValidation validation, bool copy)
    {
        var parts = new List<string>();
        // A time or memory budget of a packaged variant: its value was measured by the build that made it, and is not kept.
        parts.AddRange(VariantGate.Binding(validation.Gates).Where(g => double.IsFinite(g.Measured) || !VariantManifest.IsMachineMeasured(g.Gate)).Select(GateText));

        if (validation.Latency is { } latency)
        {
            parts.Add(copy
                ? string.Create(CultureInfo.InvariantCulture, $"p50 {latency.P50:0.0} ms")
                : string.Create(CultureInfo.InvariantCulture, $"p50 {latency.P50:0.0} ms (original {latency.OriginalP50:0.0} ms)"));
        }

        int failures = validation.Failures.Count;
        string verdict = validation.Passed ? "validated" : $"FAILED {failures} check{(failures == 1 ? "" : "s")}";
        return parts.Count == 0 ? verdict : $"{verdict}: {string.Join(", ", parts)}";
    }
}
