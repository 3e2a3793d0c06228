using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Validation;

/// <summary>How <see cref="Calibrator"/> turns the observed activations into ranges.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen over all samples.</summary>
    MinMax,

    /// <summary>
    /// The range clipped to a percentile of |x| over all samples (<see cref="CalibrationSettings.Percentile"/>), which
    /// ignores rare outliers: finer steps for the common values at the cost of clipping the extremes.
    /// </summary>
    Percentile,
}

/// <summary>The calibration method and its parameters.</summary>
public sealed record CalibrationSettings
{
    /// <summary>How ranges are computed (default <see cref="CalibrationMethod.MinMax"/>).</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Percentile method: the percentage of |x| values the range must hold, in (0, 100]; default 99.999, as ONNX Runtime's calibrator.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Percentile method: histogram bins over [0, max |x|] (default 2048, as ONNX Runtime's calibrator); the threshold is resolved to one bin.</summary>
    public int HistogramBins { get; init; } = 2048;

    /// <summary>Where the temporary copy of the model is written (a fresh subfolder, deleted afterwards); null: the system temp folder.</summary>
    public string? WorkingDirectory { get; init; }
}

/// <summary>
/// Computes activation ranges for static QDQ (<see cref="Precision.Qdq"/>): writes a temporary copy of the float
/// model with the activations to observe added as graph outputs, runs it in ONNX Runtime on each sample (one
/// thread, graph optimizations off, so the ranges are deterministic and belong to the tensors as the model names
/// them), and reduces what it saw with <see cref="CalibrationMethod.MinMax"/> or
/// <see cref="CalibrationMethod.Percentile"/>. Pass the result as <see cref="QuantizationOptions.Ranges"/> to
/// <see cref="ModelQuantizer.Quantize(string, string, QuantizationOptions)"/>, or save it with <see cref="ActivationRanges.Save"/>.
/// </summary>
/// <remarks>
/// Percentile, exactly: pass 1 finds each tensor's min, max and m = max |x| over all samples; pass 2 counts |x|
/// into <see cref="CalibrationSettings.HistogramBins"/> equal bins over [0, m] (the last bin closed); the threshold t
/// is the upper edge of the first bin at which the cumulative count reaches ⌈p/100 · count⌉; the range is
/// [max(min, -t), min(max, t)]. This is ONNX Runtime's symmetric percentile calibrator on |x| with a fixed bin
/// range (so the result does not depend on the sample order) and the bin's upper rather than lower edge (so the
/// percentile value itself lies inside the range). Percentile runs the model twice per sample.
/// Failures are <see cref="QuantizationException"/>: SLM3001 for settings, SLM3008 for the run itself.
/// </remarks>
public static class Calibrator
{
    /// <summary>
    /// Calibrates the activations that static QDQ with <paramref name="options"/> quantizes in
    /// <paramref name="modelPath"/> (<see cref="StaticQdq.ActivationsToCalibrate"/>) on <paramref name="feeds"/>.
    /// </summary>
    /// <param name="modelPath">The float model (the same file given to the quantizer).</param>
    /// <param name="options">The quantization settings (include/exclude and minimum size decide the tensors).</param>
    /// <param name="feeds">The samples: each maps every model input name to a tensor.</param>
    /// <param name="method">How the ranges are computed.</param>
    public static ActivationRanges Calibrate(
        string modelPath, QuantizationOptions options, IEnumerable<IReadOnlyDictionary<string, CalibrationInput>> feeds, CalibrationMethod method = CalibrationMethod.MinMax) =>
        Calibrate(modelPath, options, feeds, new CalibrationSettings { Method = method });

    /// <summary>
    /// Calibrates the activations that static QDQ with <paramref name="options"/> quantizes in
    /// <paramref name="modelPath"/> on <paramref name="feeds"/>, with the method and parameters of <paramref name="settings"/>.
    /// </summary>
    /// <param name="modelPath">The float model (the same file given to the quantizer).</param>
    /// <param name="options">The quantization settings (include/exclude and minimum size decide the tensors).</param>
    /// <param name="feeds">The samples: each maps every model input name to a tensor.</param>
    /// <param name="settings">The method and its parameters.</param>
    public static ActivationRanges Calibrate(
        string modelPath, QuantizationOptions options, IEnumerable<IReadOnlyDictionary<string, CalibrationInput>> feeds, CalibrationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CalibrateTensors(modelPath, StaticQdq.ActivationsToCalibrate(modelPath, options), feeds, settings);
    }

    /// <summary>Calibrates the float tensors named <paramref name="tensors"/> (any tensors of the main graph) on <paramref name="feeds"/>.</summary>
    /// <param name="modelPath">The float model.</param>
    /// <param name="tensors">The tensors to observe; the result has their ranges in this order.</param>
    /// <param name="feeds">The samples: each maps every model input name to a tensor.</param>
    /// <param name="settings">The method and its parameters.</param>
    public static ActivationRanges CalibrateTensors(
        string modelPath, IReadOnlyList<string> tensors, IEnumerable<IReadOnlyDictionary<string, CalibrationInput>> feeds, CalibrationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(feeds);
        ArgumentNullException.ThrowIfNull(settings);
        Check(settings);
        ModelRunner.EnsureRuntime();
        string fullPath = Path.GetFullPath(modelPath);
        var samples = feeds.ToList();
        if (samples.Count == 0)
            throw Failed(fullPath, "Calibration needs at least one sample input; none was given.");
        var names = tensors.Distinct(StringComparer.Ordinal).ToList();
        var stats = names.Select(_ => new TensorStats()).ToList();
        if (names.Count == 0) return new ActivationRanges([], MethodName(settings), samples.Count);

        var passes = new List<Action<int, ReadOnlySpan<float>>> { (stat, values) => stats[stat].Observe(values, names[stat], fullPath) };
        if (settings.Method == CalibrationMethod.Percentile) passes.Add((stat, values) => stats[stat].Count(values, settings.HistogramBins));
        Observe(fullPath, names, samples, settings.WorkingDirectory, passes);

        var ranges = names.Select((name, i) => new KeyValuePair<string, ActivationRange>(name,
            settings.Method == CalibrationMethod.Percentile ? stats[i].PercentileRange(settings.Percentile) : stats[i].MinMaxRange()));
        return new ActivationRanges(ranges, MethodName(settings), samples.Count);
    }

    /// <summary>
    /// The mean square of each channel (the last dimension) of the float tensors <paramref name="tensors"/> of the main
    /// graph over <paramref name="feeds"/>: what a mixed-precision search weighs each input channel of a MatMul by
    /// (<see cref="MixedPrecision.RelativeError"/>). Runs the model once per sample, as <see cref="CalibrateTensors"/> does.
    /// </summary>
    /// <param name="modelPath">The float model.</param>
    /// <param name="tensors">Each tensor to observe with its channel count (a tensor listed twice must give the same count).</param>
    /// <param name="feeds">The samples: each maps every model input name to a tensor.</param>
    /// <param name="workingDirectory">Where the temporary copy of the model is written; null: the system temp folder.</param>
    public static IReadOnlyDictionary<string, float[]> ChannelEnergies(
        string modelPath, IReadOnlyList<(string Tensor, int Channels)> tensors, IEnumerable<IReadOnlyDictionary<string, CalibrationInput>> feeds, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(feeds);
        ModelRunner.EnsureRuntime();
        string fullPath = Path.GetFullPath(modelPath);
        var samples = feeds.ToList();
        if (samples.Count == 0)
            throw Failed(fullPath, "Measuring activations needs at least one sample input; none was given.");
        var channels = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (tensor, count) in tensors)
        {
            if (count < 1) throw new ArgumentException($"Tensor '{tensor}' is given {count} channels.", nameof(tensors));
            if (channels.TryGetValue(tensor, out int seen) && seen != count)
                throw new ArgumentException($"Tensor '{tensor}' is given {count} channels and {seen} elsewhere.", nameof(tensors));
            channels[tensor] = count;
        }

        var names = channels.Keys.ToList();
        var sums = names.Select(n => new double[channels[n]]).ToList();
        var rows = new long[names.Count];
        if (names.Count > 0)
        {
            Observe(fullPath, names, samples, workingDirectory, [(stat, values) =>
            {
                var sum = sums[stat];
                if (values.Length % sum.Length != 0)
                    throw Failed(fullPath, $"Tensor '{names[stat]}' has {values.Length:N0} values, not a multiple of its {sum.Length} channels.");
                for (int i = 0; i < values.Length; i++) sum[i % sum.Length] += (double)values[i] * values[i];
                rows[stat] += values.Length / sum.Length;
            }]);
        }

        return names.Select((name, i) => (name, i)).ToDictionary(
            p => p.name, p => sums[p.i].Select(v => rows[p.i] == 0 ? 0f : (float)(v / rows[p.i])).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>
    /// Runs a copy of the model that outputs the tensors <paramref name="names"/> (<see cref="WriteObservingModel"/>)
    /// over every sample once per pass, handing each tensor's values to the pass (by index into <paramref name="names"/>).
    /// </summary>
    private static void Observe(string fullPath, List<string> names, List<IReadOnlyDictionary<string, CalibrationInput>> samples,
        string? workingDirectory, IReadOnlyList<Action<int, ReadOnlySpan<float>>> passes)
    {
        string folder = Path.Combine(workingDirectory ?? Path.GetTempPath(), "slmops-calibration-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            var (observing, fromFeeds) = WriteObservingModel(fullPath, names, Path.Combine(folder, "model.onnx"));
            using var sessionOptions = new SessionOptions
            {
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
            };
            InferenceSession session;
            try
            {
                session = new InferenceSession(observing, sessionOptions);
            }
            catch (OnnxRuntimeException ex)
            {
                throw Failed(fullPath, $"ONNX Runtime cannot load the model for calibration: {ex.Message}", ex);
            }

            using (session)
            {
                var outputs = names.Where(n => !fromFeeds.Contains(n)).ToList();
                foreach (var pass in passes) RunAll(session, fullPath, samples, names, outputs, fromFeeds, pass);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere: leave it to the temp cleaner rather than hide the result.
            }
        }
    }

    private static string MethodName(CalibrationSettings settings) => settings.Method == CalibrationMethod.Percentile
        ? "percentile " + settings.Percentile.ToString("R", CultureInfo.InvariantCulture)
        : "minmax";

    private static void Check(CalibrationSettings settings)
    {
        if (!Enum.IsDefined(settings.Method))
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null, $"Unknown calibration method {settings.Method}; use minmax or percentile.");
        if (!(settings.Percentile > 0 && settings.Percentile <= 100))
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null, $"Calibration percentile {settings.Percentile} is not in (0, 100]; use for example 99.999.");
        if (settings.HistogramBins is < 1 or > 1 << 24)
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null, $"Calibration histogram bins {settings.HistogramBins} is not in 1 to {1 << 24}.");
    }

    /// <summary>
    /// A copy of the model whose graph outputs include every observed tensor (typed float; the shape is left to the
    /// runtime). Graph inputs cannot be outputs: those are read from the feeds instead (returned). Payloads are copied
    /// from the source one tensor at a time, never loaded whole.
    /// </summary>
    private static (string Path, HashSet<string> FromFeeds) WriteObservingModel(string modelPath, List<string> names, string target)
    {
        using var source = OnnxModelLoader.Load(modelPath, new OnnxLoadOptions { ComputeSha256 = false, DeferPayloadsOfAtLeast = 4096 });
        var model = source.Proto.Clone();
        var graph = model.Graph;
        using var reader = source.OpenPayloads();
        var groups = new List<PayloadGroup>();
        foreach (var (copy, original) in graph.Initializer.Zip(source.Proto.Graph.Initializer))
        {
            var data = source.GetTensorData(original);
            if (data.Storage is TensorStorage.Deferred or TensorStorage.External)
                groups.Add(PayloadGroup.Copy(reader, original, copy, data.ByteLength!.Value));
        }

        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Select(i => i.Name).Where(n => !initializers.Contains(n)).ToHashSet(StringComparer.Ordinal);
        var known = graph.Node.SelectMany(n => n.Output).Concat(initializers).Concat(inputs).ToHashSet(StringComparer.Ordinal);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var fromFeeds = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (!known.Contains(name))
                throw Failed(modelPath, $"The model's main graph has no tensor '{name}' to calibrate. Calibrate the same model that is quantized.");
            if (inputs.Contains(name))
            {
                fromFeeds.Add(name);
                continue;
            }
            if (!outputs.Add(name)) continue;
            graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
            });
        }
        StreamingModelWriter.Write(model, groups, target, new ModelWriteOptions { MaxDegreeOfParallelism = 1 });
        return (target, fromFeeds);
    }

    private static void RunAll(InferenceSession session, string modelPath, List<IReadOnlyDictionary<string, CalibrationInput>> samples,
        List<string> names, List<string> outputs, HashSet<string> fromFeeds, Action<int, ReadOnlySpan<float>> observe)
    {
        var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        using var runOptions = new RunOptions();
        for (int s = 0; s < samples.Count; s++)
        {
            var sample = samples[s] ?? throw Failed(modelPath, $"Calibration sample {s} is null.");
            foreach (string name in fromFeeds)
            {
                if (!sample.TryGetValue(name, out var input) || input.Values is not float[] values)
                    throw Failed(modelPath, $"Calibration sample {s} has no float tensor for input '{name}', which is quantized.");
                observe(index[name], values);
            }
            if (outputs.Count == 0) continue;

            var inputNames = sample.Keys.ToList();
            var inputValues = new List<OrtValue>(inputNames.Count);
            try
            {
                foreach (string name in inputNames) inputValues.Add(sample[name].ToOrtValue());
                using var results = Run(session, runOptions, inputNames, inputValues, outputs, modelPath, s);
                int o = 0;
                foreach (var result in results)
                {
                    string name = outputs[o++];
                    var info = result.GetTensorTypeAndShape();
                    if (info.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
                        throw Failed(modelPath, $"Tensor '{name}' is {info.ElementDataType}, not float; only float activations are calibrated.");
                    observe(index[name], result.GetTensorDataAsSpan<float>());
                }
            }
            finally
            {
                foreach (var value in inputValues) value.Dispose();
            }
        }
    }

    private static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, RunOptions runOptions, List<string> inputNames,
        List<OrtValue> inputValues, List<string> outputs, string modelPath, int sample)
    {
        try
        {
            return session.Run(runOptions, inputNames, inputValues, outputs);
        }
        catch (OnnxRuntimeException ex)
        {
            throw Failed(modelPath, $"ONNX Runtime cannot run calibration sample {sample}: {ex.Message} Check that each sample feeds every model input with the right type and shape.", ex);
        }
    }

    private static QuantizationException Failed(string modelPath, string message, Exception? inner = null) =>
        new(QuantizationErrorCodes.CalibrationFailed, modelPath, message, inner);

    /// <summary>What one tensor showed over all samples.</summary>
    private sealed class TensorStats
    {
        private float _min = float.PositiveInfinity, _max = float.NegativeInfinity;
        private long[]? _histogram;
        private double _binsPerUnit;

        public void Observe(ReadOnlySpan<float> values, string name, string modelPath)
        {
            if (values.IsEmpty) return;
            if (!TensorPrimitives.IsFiniteAll(values))
            {
                int at = 0;
                while (float.IsFinite(values[at])) at++;
                throw Failed(modelPath, $"Activation '{name}' holds {values[at].ToString(CultureInfo.InvariantCulture)} at element {at:N0} on a calibration sample; the float model overflows there, so no range can be computed. Check the sample inputs, or exclude the node.");
            }
            _min = MathF.Min(_min, TensorPrimitives.Min(values));
            _max = MathF.Max(_max, TensorPrimitives.Max(values));
        }

        private float MaxAbs => MathF.Max(MathF.Abs(_min), MathF.Abs(_max));

        /// <summary>Counts |x| into <paramref name="bins"/> bins over [0, max |x|] of the first pass (the histogram starts at the first call).</summary>
        public void Count(ReadOnlySpan<float> values, int bins)
        {
            if (_histogram is null)
            {
                _histogram = new long[bins];
                _binsPerUnit = float.IsFinite(_min) && MaxAbs > 0 ? bins / (double)MaxAbs : 0;
            }
            var histogram = _histogram;
            int last = histogram.Length - 1;
            foreach (float v in values) histogram[(int)Math.Min(Math.Abs(v) * _binsPerUnit, last)]++;
        }

        /// <summary>[min, max] seen; [0, 0] for a tensor that was always empty.</summary>
        public ActivationRange MinMaxRange() => float.IsFinite(_min) ? new ActivationRange(_min, _max) : new ActivationRange(0, 0);

        public ActivationRange PercentileRange(double percentile)
        {
            if (!float.IsFinite(_min) || _binsPerUnit == 0) return MinMaxRange();
            var histogram = _histogram!;
            long total = histogram.Sum();
            long target = Math.Max(1, (long)Math.Ceiling(total * (decimal)percentile / 100m)); // decimal: 99.9% of 1000 is 999, not 1000
            long cumulative = 0;
            int bin = histogram.Length - 1;
            for (int i = 0; i < histogram.Length; i++)
            {
                cumulative += histogram[i];
                if (cumulative >= target)
                {
                    bin = i;
                    break;
                }
            }
            float threshold = bin == histogram.Length - 1 ? MaxAbs : (float)((bin + 1) / _binsPerUnit);
            return new ActivationRange(MathF.Max(_min, -threshold), MathF.Min(_max, threshold));
        }
    }
}
