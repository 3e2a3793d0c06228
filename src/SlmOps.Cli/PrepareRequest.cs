using System.Text.Json;
using SlmOps.Contracts;
using SlmOps.Packaging;

namespace SlmOps.Cli;

/// <summary>The request file the SlmOpsRunWorker task writes (docs/design.md, "The worker protocol").</summary>
internal sealed class PrepareRequest
{
    public required bool DesignTime { get; init; }

    public required IReadOnlyList<ModelRequest> Models { get; init; }

    /// <summary>How often a long step says it is still running; zero: never. Five seconds when the request omits it.</summary>
    public TimeSpan ProgressInterval { get; init; } = DefaultProgressInterval;

    /// <summary>Where the validation report goes and the manifests it covers; null: no report.</summary>
    public ReportRequest? Report { get; init; }

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

            bool designTime = root.TryGetProperty(WorkerRequest.DesignTimeKey, out var dt) && dt.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new FormatException($"'{WorkerRequest.DesignTimeKey}' must be true or false."),
            };

            if (!root.TryGetProperty(WorkerRequest.ModelsKey, out var models) || models.ValueKind != JsonValueKind.Array)
                throw new FormatException($"The request needs a '{WorkerRequest.ModelsKey}' array.");

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
            if (root.TryGetProperty(WorkerRequest.ProgressIntervalKey, out var pi) && pi.ValueKind == JsonValueKind.String && pi.GetString()!.Trim().Length > 0)
            {
                if (!double.TryParse(pi.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds)
                    || !(seconds >= 0 && seconds <= 3600))
                    throw new FormatException($"'{WorkerRequest.ProgressIntervalKey}' must be a number of seconds from 0 to 3600 (SlmOpsProgressInterval), not '{pi.GetString()}'.");
                interval = TimeSpan.FromSeconds(seconds);
            }
            return new PrepareRequest { DesignTime = designTime, Models = list, ProgressInterval = interval, Report = ReportRequest.From(root) };
        }
    }
}

/// <summary>The request's <c>report</c>: the folder of the validation report and every manifest it covers (absolute paths).</summary>
internal sealed record ReportRequest(string Directory, IReadOnlyList<string> Manifests)
{
    public static ReportRequest? From(JsonElement root)
    {
        if (!root.TryGetProperty(WorkerRequest.ReportKey, out var report) || report.ValueKind == JsonValueKind.Null) return null;
        if (report.ValueKind != JsonValueKind.Object
            || !report.TryGetProperty(WorkerRequest.ReportDirectoryKey, out var directory) || directory.ValueKind != JsonValueKind.String || directory.GetString()!.Length == 0
            || !report.TryGetProperty(WorkerRequest.ReportManifestsKey, out var manifests) || manifests.ValueKind != JsonValueKind.Array
            || manifests.EnumerateArray().Any(m => m.ValueKind != JsonValueKind.String))
        {
            throw new FormatException($"'{WorkerRequest.ReportKey}' must be an object with a '{WorkerRequest.ReportDirectoryKey}' string and a '{WorkerRequest.ReportManifestsKey}' array of strings.");
        }

        return new ReportRequest(Path.GetFullPath(directory.GetString()!), manifests.EnumerateArray().Select(m => Path.GetFullPath(m.GetString()!)).ToList());
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
    DeviceTarget Target,
    string ModelDirectory,
    string VariantDirectory,
    bool AllowHardLinks,
    QuantizeSettings Quantize,
    bool FromPackage = false,
    string TrustedSignersFrom = "")
{
    public static ModelRequest From(JsonElement item, int index)
    {
        string source = Path.GetFullPath(Required(item, WorkerRequestModel.SourceKey, index));
        string kind = Optional(item, WorkerRequestModel.KindKey, index) is { Length: > 0 } k ? k : ModelKinds.Auto;
        if (!ModelKinds.IsKnown(kind))
            throw new FormatException($"models[{index}].kind is '{kind}'; use auto, generic, embedding or causal-lm.");
        string sha = ModelRules.NormalizeSha256(Optional(item, WorkerRequestModel.Sha256Key, index));
        if (sha.Length > 0 && !ModelRules.IsSha256(sha))
            throw new FormatException($"models[{index}].sha256 '{sha}' is not 64 hexadecimal digits.");

        var settings = new QuantizeSettings(Settings(item, index));
        return new ModelRequest(
            source,
            Optional(item, WorkerRequestModel.DisplayPathKey, index) is { Length: > 0 } display ? display : source,
            Required(item, WorkerRequestModel.NameKey, index),
            Required(item, WorkerRequestModel.NamespaceKey, index),
            kind,
            sha,
            DeviceTarget.Parse(Optional(item, WorkerRequestModel.TargetKey, index),
                Optional(item, WorkerRequestModel.RuntimeIdentifierKey, index) is { Length: > 0 } rid ? rid : null,
                Optional(item, WorkerRequestModel.ExecutionProviderKey, index) is { Length: > 0 } ep ? ep : null),
            AsDirectory(Required(item, WorkerRequestModel.ModelDirectoryKey, index)),
            AsDirectory(Required(item, WorkerRequestModel.VariantDirectoryKey, index)),
            settings[ModelSettings.AllowHardLinks] is { Length: > 0 } links && (bool.TryParse(links, out bool allow)
                ? allow
                : throw new FormatException($"models[{index}].settings.allowHardLinks is '{links}'; use true or false.")),
            settings,
            Optional(item, WorkerRequestModel.FromPackageKey, index) is { Length: > 0 } package && (bool.TryParse(package, out bool fromPackage)
                ? fromPackage
                : throw new FormatException($"models[{index}].{WorkerRequestModel.FromPackageKey} is '{package}'; use true or false.")),
            Optional(item, WorkerRequestModel.TrustedSignersFromKey, index) is { Length: > 0 } signers ? Path.GetFullPath(signers) : "");
    }

    /// <summary>The model's <c>settings</c>: every key must be one of <see cref="ModelSettings"/>, every value a string.</summary>
    private static Dictionary<ModelSetting, string> Settings(JsonElement item, int index)
    {
        var settings = new Dictionary<ModelSetting, string>();
        if (!item.TryGetProperty(WorkerRequestModel.SettingsKey, out var json) || json.ValueKind == JsonValueKind.Null) return settings;
        if (json.ValueKind != JsonValueKind.Object) throw new FormatException($"models[{index}].settings must be an object.");
        foreach (var property in json.EnumerateObject())
        {
            ModelSetting setting = ModelSettings.ByKey(property.Name)
                ?? throw new FormatException($"models[{index}].settings has '{property.Name}', which this worker does not know; the SDK and the worker come from different versions.");
            settings[setting] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw new FormatException($"models[{index}].settings.{property.Name} must be a string.");
        }

        return settings;
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
/// The settings of an SlmModel item as the build passed them (strings, empty when not set). The engine's own parsers
/// check them, so the SDK and the CLI accept exactly the same values.
/// </summary>
internal sealed class QuantizeSettings(IReadOnlyDictionary<ModelSetting, string> values)
{
    /// <summary>The value the project gave, or empty.</summary>
    public string this[ModelSetting setting] => values.TryGetValue(setting, out string? value) ? value : "";

    /// <summary>The value the project gave, or null when it gave none.</summary>
    public string? Optional(ModelSetting setting) => this[setting] is { Length: > 0 } value ? value : null;

    /// <summary>The calibration ranges file (made absolute by the SDK), or empty.</summary>
    public string CalibrationRanges => this[ModelSettings.CalibrationRanges];

    /// <summary>True when the variant is the source unchanged (fp32 in any spelling, and no pruning).</summary>
    public bool IsPassThrough => ModelRules.IsPassThrough(this[ModelSettings.Precision], this[ModelSettings.Prune]);

    /// <summary><c>Precision="auto"</c>: the worker chooses the precision by validating candidates (<see cref="PrecisionSearch"/>).</summary>
    public bool IsAuto => ModelRules.NormalizePrecision(this[ModelSettings.Precision]) == PrecisionSearch.Auto;

    /// <summary>Engine options for a target (its architecture picks the int8 weight scheme). Throws QuantizationException (SLM3001).</summary>
    public SlmOps.Quantization.QuantizationOptions ToOptions(DeviceTarget target)
    {
        var defaults = new SlmOps.Quantization.QuantizationOptions();
        return new SlmOps.Quantization.QuantizationOptions
        {
            // auto starts from int4 with the embedding tables (PrecisionSearch); QuantizeEmbeddings=false keeps them float.
            Precision = this[ModelSettings.Precision].Length == 0 ? SlmOps.Quantization.Precision.Fp32
                : IsAuto ? SlmOps.Quantization.Precision.Int4
                : SlmOps.Quantization.QuantizationNames.ParsePrecision(this[ModelSettings.Precision]),
            BlockSize = Integer(ModelSettings.BlockSize) ?? defaults.BlockSize,
            Symmetric = Boolean(ModelSettings.Symmetric) ?? defaults.Symmetric,
            QuantizeEmbeddings = Boolean(ModelSettings.QuantizeEmbeddings) ?? IsAuto,
            Int8Layers = List(ModelSettings.Int8Layers),
            ScaleSearch = Boolean(ModelSettings.ScaleSearch) ?? defaults.ScaleSearch,
            // auto: int8 compute (accuracy_level 4) unless the item says otherwise. ONNX Runtime 1.31's 8-bit
            // MatMulNBits with float compute runs MiniLM 3.5x slower than fp32 on x64 AVX2; level 4 runs it faster
            // than fp32, and the search validates the candidates as they will run.
            AccuracyLevel = Integer(ModelSettings.AccuracyLevel) ?? (IsAuto ? 4 : null),
            Int8Format = this[ModelSettings.Int8Format].Length == 0 ? defaults.Int8Format : SlmOps.Quantization.QuantizationNames.ParseInt8Format(this[ModelSettings.Int8Format]),
            Int8Weights = this[ModelSettings.Int8Weights].Length == 0 ? null : SlmOps.Quantization.QuantizationNames.ParseInt8Weights(this[ModelSettings.Int8Weights]),
            TargetArchitecture = target.Architecture,
            Include = List(ModelSettings.QuantizeInclude),
            Exclude = List(ModelSettings.QuantizeExclude),
            MinimumElements = Integer(ModelSettings.QuantizeMinElements) ?? 0,
            Pruning = this[ModelSettings.Prune].Length == 0 ? null : SlmOps.Quantization.Pruning.Parse(this[ModelSettings.Prune]),
            Ranges = CalibrationRanges.Length == 0 ? null : SlmOps.Quantization.ActivationRanges.Load(CalibrationRanges),
            ActivationType = this[ModelSettings.ActivationType].Length == 0 ? defaults.ActivationType : SlmOps.Quantization.QuantizationNames.ParseQdqActivationType(this[ModelSettings.ActivationType]),
            QdqWeights = this[ModelSettings.QdqWeights].Length == 0 ? defaults.QdqWeights : SlmOps.Quantization.QuantizationNames.ParseQdqWeightType(this[ModelSettings.QdqWeights]),
        };
    }

    private string[] List(ModelSetting setting) => this[setting].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private int? Integer(ModelSetting setting) => this[setting] is { Length: > 0 } text
        ? int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new SlmOps.Quantization.QuantizationException(SlmOps.Quantization.QuantizationErrorCodes.InvalidOptions, null, $"{setting.Metadata} '{text}' is not a whole number.")
        : null;

    private bool? Boolean(ModelSetting setting) => this[setting] is { Length: > 0 } text
        ? bool.TryParse(text, out bool value)
            ? value
            : throw new SlmOps.Quantization.QuantizationException(SlmOps.Quantization.QuantizationErrorCodes.InvalidOptions, null, $"{setting.Metadata} '{text}' is not true or false.")
        : null;
}
