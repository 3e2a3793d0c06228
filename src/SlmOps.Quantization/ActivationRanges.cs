using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace SlmOps.Quantization;

/// <summary>
/// Calibrated activation ranges, float (min, max) per tensor name, for static QDQ quantization
/// (<see cref="Precision.Qdq"/>). Produced by running the float model on sample inputs (SlmOps.Validation's
/// <c>Calibrator</c> does this with ONNX Runtime); the engine itself never runs a model. Every range is finite with
/// min ≤ max: construction and <see cref="FromJson"/> check that and throw <see cref="QuantizationException"/>
/// (SLM3001) otherwise. Enumerates in the order the ranges were given; the JSON keeps that order.
/// </summary>
public sealed class ActivationRanges : IReadOnlyDictionary<string, ActivationRange>
{
    /// <summary>The <c>format</c> value of the JSON file.</summary>
    public const string JsonFormat = "slmops-activation-ranges";

    /// <summary>The JSON layout version this build writes and reads.</summary>
    public const int JsonVersion = 1;

    private readonly List<KeyValuePair<string, ActivationRange>> _ordered = [];
    private readonly Dictionary<string, ActivationRange> _byName = new(StringComparer.Ordinal);

    /// <summary>Checks and keeps <paramref name="ranges"/>; throws <see cref="QuantizationException"/> (SLM3001) for an invalid one.</summary>
    /// <param name="ranges">Tensor name and range, each name once.</param>
    /// <param name="method">How the ranges were computed (for example <c>minmax</c>), kept in the JSON for the record.</param>
    /// <param name="samples">How many sample inputs were run, kept in the JSON for the record.</param>
    public ActivationRanges(IEnumerable<KeyValuePair<string, ActivationRange>> ranges, string? method = null, int? samples = null)
        : this(ranges, method, samples, null)
    {
    }

    private ActivationRanges(IEnumerable<KeyValuePair<string, ActivationRange>> ranges, string? method, int? samples, string? filePath)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        Method = method;
        Samples = samples;
        foreach (var (name, range) in ranges)
        {
            if (string.IsNullOrEmpty(name)) throw Invalid(filePath, "A calibration range has an empty tensor name.");
            if (!float.IsFinite(range.Min) || !float.IsFinite(range.Max))
                throw Invalid(filePath, $"The calibration range of '{name}' is [{Format(range.Min)}, {Format(range.Max)}]; both ends must be finite. Calibrate again on inputs that keep the float model finite.");
            if (range.Min > range.Max)
                throw Invalid(filePath, $"The calibration range of '{name}' is [{Format(range.Min)}, {Format(range.Max)}]; its minimum is above its maximum.");
            if (!_byName.TryAdd(name, range)) throw Invalid(filePath, $"The calibration ranges name '{name}' twice.");
            _ordered.Add(new(name, range));
        }
        if (samples is < 0) throw Invalid(filePath, "The calibration sample count cannot be negative.");
    }

    /// <summary>How the ranges were computed (for example <c>minmax</c> or <c>percentile 99.999</c>), or null when not recorded.</summary>
    public string? Method { get; }

    /// <summary>How many sample inputs the ranges were computed from, or null when not recorded.</summary>
    public int? Samples { get; }

    /// <summary>The number of tensors with a range.</summary>
    public int Count => _ordered.Count;

    /// <summary>The range of tensor <paramref name="key"/>; throws <see cref="KeyNotFoundException"/> when it has none.</summary>
    public ActivationRange this[string key] => _byName[key];

    /// <summary>The tensor names, in order.</summary>
    public IEnumerable<string> Keys => _ordered.Select(p => p.Key);

    /// <summary>The ranges, in order.</summary>
    public IEnumerable<ActivationRange> Values => _ordered.Select(p => p.Value);

    /// <summary>Whether tensor <paramref name="key"/> has a range.</summary>
    public bool ContainsKey(string key) => _byName.ContainsKey(key);

    /// <summary>The range of tensor <paramref name="key"/>, when it has one.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out ActivationRange value) => _byName.TryGetValue(key, out value);

    /// <summary>The ranges, in order.</summary>
    public IEnumerator<KeyValuePair<string, ActivationRange>> GetEnumerator() => _ordered.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The ranges as indented JSON: <c>{"format": "slmops-activation-ranges", "version": 1, "method": ...,
    /// "samples": ..., "ranges": {"name": {"min": ..., "max": ...}, ...}}</c>. Floats are written in their shortest
    /// round-trip form, so <see cref="FromJson"/> gives back the same bits.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", JsonFormat);
            writer.WriteNumber("version", JsonVersion);
            if (Method is not null) writer.WriteString("method", Method);
            if (Samples is int samples) writer.WriteNumber("samples", samples);
            writer.WriteStartObject("ranges");
            foreach (var (name, range) in _ordered)
            {
                writer.WriteStartObject(name);
                writer.WriteNumber("min", range.Min);
                writer.WriteNumber("max", range.Max);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Reads ranges written by <see cref="ToJson"/>; throws <see cref="QuantizationException"/> (SLM3001) when the text is not such a file or a range is invalid.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="filePath">The file it came from, for error messages; null when it did not come from a file.</param>
    public static ActivationRanges FromJson(string json, string? filePath = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        string where = filePath is null ? "The calibration ranges" : $"The calibration file '{filePath}'";
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != JsonFormat)
            {
                throw Invalid(filePath, $"{where} is not an activation ranges file (no \"format\": \"{JsonFormat}\").");
            }
            if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out int v) || v != JsonVersion)
                throw Invalid(filePath, $"{where} has a layout version this build does not read; it reads version {JsonVersion}. Calibrate again with this version.");

            string? method = root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            int? samples = root.TryGetProperty("samples", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : null;
            if (!root.TryGetProperty("ranges", out var ranges) || ranges.ValueKind != JsonValueKind.Object)
                throw Invalid(filePath, $"{where} has no \"ranges\" object.");

            var list = new List<KeyValuePair<string, ActivationRange>>();
            foreach (var property in ranges.EnumerateObject())
            {
                var value = property.Value;
                if (value.ValueKind != JsonValueKind.Object
                    || !value.TryGetProperty("min", out var min) || !min.TryGetSingle(out float low)
                    || !value.TryGetProperty("max", out var max) || !max.TryGetSingle(out float high))
                {
                    throw Invalid(filePath, $"{where}: the range of '{property.Name}' needs numeric \"min\" and \"max\".");
                }
                list.Add(new(property.Name, new ActivationRange(low, high)));
            }
            return new ActivationRanges(list, method, samples, filePath);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, filePath, $"{where} is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> (UTF-8, no byte order mark) through a temp file, so a failed write leaves no half file.</summary>
    public void Save(string path) => FileCommit.WriteAllText(path, ToJson());

    /// <summary>Reads a file written by <see cref="Save"/>; throws <see cref="QuantizationException"/> (SLM3001) when it is missing or invalid.</summary>
    public static ActivationRanges Load(string path)
    {
        string full = Path.GetFullPath(path);
        string json;
        try
        {
            json = File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, full,
                $"The calibration file '{full}' does not exist. Calibrate the model first and save its ranges there.", ex);
        }
        return FromJson(json, full);
    }

    private static QuantizationException Invalid(string? filePath, string message) =>
        new(QuantizationErrorCodes.InvalidOptions, filePath, message);

    private static string Format(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
