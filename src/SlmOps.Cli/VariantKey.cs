using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SlmOps.Contracts;
using SlmOps.Packaging;

namespace SlmOps.Cli;

/// <summary>
/// <c>slmops.key</c> beside a variant: a hash of everything that decides its bytes (tool version, source hash,
/// target, every setting that is not a validation setting, the calibration ranges' content) and the hashes of its
/// files. When a run finds the same key and the files unchanged it keeps the variant and validates it again: a
/// changed gate or <c>ValidationMode</c> does not quantize again, not even after the gate failed the build (the key
/// file and the variant are kept then, without a manifest or deps file, so the build still sees the model as stale).
/// </summary>
internal sealed record VariantKey(string Key, VariantQuantization? Quantization, IReadOnlyList<VariantFile> Files)
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    /// <summary>The key of what <paramref name="request"/> makes from a source with hash <paramref name="sourceSha256"/>.</summary>
    public static string Of(ModelRequest request, string sourceSha256, string toolVersion)
    {
        var text = new StringBuilder();
        text.Append("tool=").Append(toolVersion).Append('\n');
        text.Append("source=").Append(sourceSha256.ToLowerInvariant()).Append('\n');
        text.Append("target=").Append(request.Target.Name).Append('\n');
        foreach (ModelSetting setting in ModelSettings.All.Where(s => !s.Validates))
            text.Append(setting.Key).Append('=').Append(request.Quantize[setting]).Append('\n');
        if (request.Quantize.CalibrationRanges.Length > 0)
            text.Append("ranges=").Append(AtomicFile.Sha256Of(request.Quantize.CalibrationRanges)).Append('\n');
        else if (ModelRules.NormalizePrecision(request.Quantize[ModelSettings.Precision]) == "qdq")
        {
            // Calibrated from the sample data: their content decides the ranges, so the bytes.
            foreach (string file in SampleFiles(request)) text.Append("sample=").Append(AtomicFile.Sha256Of(file)).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// The files the item's <c>SampleData</c> and <c>Tokenizer</c> read (for text samples without a Tokenizer, the
    /// <c>vocab.txt</c> beside the model when it exists), which the build must watch. Empty without sample data.
    /// </summary>
    public static IEnumerable<string> SampleFiles(ModelRequest request)
    {
        if (request.Quantize[ModelSettings.SampleData] is not { Length: > 0 } samples) return [];
        var files = new List<string>(SlmOps.Validation.SampleData.Files(samples).Where(File.Exists));
        string vocabulary = request.Quantize[ModelSettings.Tokenizer] is { Length: > 0 } tokenizer
            ? tokenizer
            : Path.Combine(Path.GetDirectoryName(request.Source) ?? "", "vocab.txt");
        if (File.Exists(samples) && File.Exists(vocabulary)) files.Add(vocabulary);
        return files;
    }

    /// <summary>
    /// The variant recorded in <paramref name="keyPath"/> when its key is <paramref name="key"/> and every file in
    /// <paramref name="variantDirectory"/> still has its recorded size and hash; otherwise null.
    /// </summary>
    public static VariantKey? TryReuse(string keyPath, string key, string variantDirectory)
    {
        VariantKey? recorded;
        try
        {
            if (!File.Exists(keyPath)) return null;
            recorded = JsonSerializer.Deserialize<VariantKey>(File.ReadAllText(keyPath), s_json);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }

        if (recorded is null || recorded.Key != key || recorded.Files is not { Count: > 0 }) return null;
        foreach (VariantFile file in recorded.Files)
        {
            // The paths were written by this worker; still, never look outside the variant folder.
            string path = Path.GetFullPath(Path.Combine(variantDirectory, file.Path));
            if (!path.StartsWith(variantDirectory, StringComparison.Ordinal) || !File.Exists(path)) return null;
            if (new FileInfo(path).Length != file.Size || AtomicFile.Sha256Of(path) != file.Sha256) return null;
        }

        return recorded;
    }

    /// <summary>Writes the key file (temp file, then rename).</summary>
    public void Save(string keyPath) => AtomicFile.WriteAllText(keyPath, JsonSerializer.Serialize(this, s_json) + "\n");
}
