using System.Text.Json;
using SlmOps.Contracts;

namespace SlmOps.Cli;

/// <summary>The request file the SlmOpsPrepare task writes (docs/design.md, "The worker protocol").</summary>
internal sealed class PrepareRequest
{
    public required bool DesignTime { get; init; }

    public required IReadOnlyList<ModelRequest> Models { get; init; }

    /// <summary>How often a long step says it is still running; zero: never. Five seconds when the request omits it.</summary>
    public TimeSpan ProgressInterval { get; init; } = DefaultProgressInterval;

    public static readonly TimeSpan DefaultProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>Reads and checks a request file. Throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static PrepareRequest Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"The request file cannot be read: {ex.Message}", ex);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The request file is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("The request must be a JSON object.");

            bool designTime = root.TryGetProperty("designTime", out var dt) && dt.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new FormatException("'designTime' must be true or false."),
            };

            if (!root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
                throw new FormatException("The request needs a 'models' array.");

            var list = new List<ModelRequest>();
            foreach (var item in models.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) throw new FormatException($"models[{list.Count}] must be an object.");
                try
                {
                    list.Add(ModelRequest.From(item, list.Count));
                }
                catch (ArgumentException ex)
                {
                    // A path with a NUL or another character no file system takes.
                    throw new FormatException($"models[{list.Count}] has a path that is not valid: {ex.Message}", ex);
                }
            }
            TimeSpan interval = DefaultProgressInterval;
            if (root.TryGetProperty("progressInterval", out var pi) && pi.ValueKind == JsonValueKind.String && pi.GetString()!.Trim().Length > 0)
            {
                if (!double.TryParse(pi.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds)
                    || !(seconds >= 0 && seconds <= 3600))
                    throw new FormatException($"'progressInterval' must be a number of seconds from 0 to 3600 (SlmOpsProgressInterval), not '{pi.GetString()}'.");
                interval = TimeSpan.FromSeconds(seconds);
            }
            return new PrepareRequest { DesignTime = designTime, Models = list, ProgressInterval = interval };
        }
    }
}

/// <summary>One model of a request; paths are absolute and folders end with a separator.</summary>
internal sealed record ModelRequest(
    string Source,
    string DisplayPath,
    string Name,
    string Namespace,
    string Kind,
    string Sha256,
    string Target,
    string ModelDirectory,
    string VariantDirectory,
    bool AllowHardLinks,
    QuantizeSettings Quantize)
{
    public static ModelRequest From(JsonElement item, int index)
    {
        string source = Path.GetFullPath(Required(item, "source", index));
        string kind = Optional(item, "kind", index) is { Length: > 0 } k ? k : ModelKinds.Auto;
        if (!ModelKinds.IsKnown(kind))
            throw new FormatException($"models[{index}].kind is '{kind}'; use auto, generic, embedding or causal-lm.");
        string sha = Optional(item, "sha256", index).Trim().ToLowerInvariant();
        if (sha.Length > 0 && (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit)))
            throw new FormatException($"models[{index}].sha256 '{sha}' is not 64 hexadecimal digits.");

        return new ModelRequest(
            source,
            Optional(item, "displayPath", index) is { Length: > 0 } display ? display : source,
            Required(item, "name", index),
            Required(item, "namespace", index),
            kind,
            sha,
            Optional(item, "target", index),
            AsDirectory(Required(item, "modelDirectory", index)),
            AsDirectory(Required(item, "variantDirectory", index)),
            Optional(item, "allowHardLinks", index) is { Length: > 0 } links && (bool.TryParse(links, out bool allow)
                ? allow
                : throw new FormatException($"models[{index}].allowHardLinks is '{links}'; use true or false.")),
            new QuantizeSettings(
                Optional(item, "precision", index),
                Optional(item, "blockSize", index),
                Optional(item, "symmetric", index),
                Optional(item, "accuracyLevel", index),
                Optional(item, "int8Format", index),
                Optional(item, "int8Weights", index),
                Optional(item, "quantizeInclude", index),
                Optional(item, "quantizeExclude", index),
                Optional(item, "quantizeMinElements", index),
                Optional(item, "prune", index),
                Optional(item, "calibrationRanges", index),
                Optional(item, "activationType", index),
                Optional(item, "qdqWeights", index),
                Optional(item, "quantizeEmbeddings", index),
                Optional(item, "scaleSearch", index)));
    }

    private static string AsDirectory(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) + Path.DirectorySeparatorChar;

    private static string Required(JsonElement item, string property, int index) =>
        Optional(item, property, index) is { Length: > 0 } value
            ? value
            : throw new FormatException($"models[{index}].{property} is missing or empty.");

    private static string Optional(JsonElement item, string property, int index)
    {
        if (!item.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null) return "";
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"models[{index}].{property} must be a string.");
    }
}

/// <summary>
/// The quantization metadata of an SlmModel item as the build passed it (strings, empty when not set). The engine's own
/// parsers check them, so the SDK and the CLI accept exactly the same values.
/// </summary>
internal sealed record QuantizeSettings(
    string Precision,
    string BlockSize,
    string Symmetric,
    string AccuracyLevel,
    string Int8Format,
    string Int8Weights,
    string Include,
    string Exclude,
    string MinElements,
    string Prune,
    string CalibrationRanges,
    string ActivationType,
    string QdqWeights,
    string QuantizeEmbeddings,
    string ScaleSearch)
{
    /// <summary>True when the variant is the source unchanged (fp32 and no pruning).</summary>
    public bool IsPassThrough => Precision is "" or "fp32" && Prune.Length == 0;

    /// <summary>Engine options for a target (its RID picks the int8 weight scheme). Throws QuantizationException (SLM3001).</summary>
    public SlmOps.Quantization.QuantizationOptions ToOptions(string target)
    {
        var defaults = new SlmOps.Quantization.QuantizationOptions();
        return new SlmOps.Quantization.QuantizationOptions
        {
            Precision = Precision.Length == 0 ? SlmOps.Quantization.Precision.Fp32 : SlmOps.Quantization.QuantizationNames.ParsePrecision(Precision),
            BlockSize = BlockSize.Length == 0 ? defaults.BlockSize : Integer(BlockSize, "BlockSize"),
            Symmetric = Symmetric.Length == 0 ? defaults.Symmetric : Boolean(Symmetric, "Symmetric"),
            QuantizeEmbeddings = QuantizeEmbeddings.Length > 0 && Boolean(QuantizeEmbeddings, "QuantizeEmbeddings"),
            ScaleSearch = ScaleSearch.Length == 0 ? defaults.ScaleSearch : Boolean(ScaleSearch, "ScaleSearch"),
            AccuracyLevel = AccuracyLevel.Length == 0 ? null : Integer(AccuracyLevel, "AccuracyLevel"),
            Int8Format = Int8Format.Length == 0 ? defaults.Int8Format : SlmOps.Quantization.QuantizationNames.ParseInt8Format(Int8Format),
            Int8Weights = Int8Weights.Length == 0 ? null : SlmOps.Quantization.QuantizationNames.ParseInt8Weights(Int8Weights),
            TargetArchitecture = target.Contains('-') ? target[(target.LastIndexOf('-') + 1)..] : null,
            Include = List(Include),
            Exclude = List(Exclude),
            MinimumElements = MinElements.Length == 0 ? 0 : Integer(MinElements, "QuantizeMinElements"),
            Pruning = Prune.Length == 0 ? null : SlmOps.Quantization.Pruning.Parse(Prune),
            Ranges = CalibrationRanges.Length == 0 ? null : SlmOps.Quantization.ActivationRanges.Load(CalibrationRanges),
            ActivationType = ActivationType.Length == 0 ? defaults.ActivationType : SlmOps.Quantization.QuantizationNames.ParseQdqActivationType(ActivationType),
            QdqWeights = QdqWeights.Length == 0 ? defaults.QdqWeights : SlmOps.Quantization.QuantizationNames.ParseQdqWeightType(QdqWeights),
        };
    }

    private static string[] List(string text) => text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Integer(string text, string name) =>
        int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new SlmOps.Quantization.QuantizationException(SlmOps.Quantization.QuantizationErrorCodes.InvalidOptions, null, $"{name} '{text}' is not a whole number.");

    private static bool Boolean(string text, string name) =>
        bool.TryParse(text, out bool value)
            ? value
            : throw new SlmOps.Quantization.QuantizationException(SlmOps.Quantization.QuantizationErrorCodes.InvalidOptions, null, $"{name} '{text}' is not true or false.");
}
