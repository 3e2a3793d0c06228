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
/// With <c>Precision="auto"</c> the gates, budgets and samples choose the candidate, so they are part of the key too:
/// changing one searches again.
/// </summary>
/// <param name="Precision">The precision the variant has (with <c>Precision="auto"</c>, the one chosen).</param>
/// <param name="Auto">With <c>Precision="auto"</c>: what the search tried and chose.</param>
internal sealed record VariantKey(string Key, VariantQuantization? Quantization, IReadOnlyList<VariantFile> Files, string? Precision = null, VariantAutoPrecision? Auto = null)
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    /// <summary>The key of what <paramref name="request"/> makes from a source with hash <paramref name="sourceSha256"/>.</summary>
    public static string Of(ModelRequest request, string sourceSha256, string toolVersion)
    {
        var text = new StringBuilder();
        text.Append("tool=").Append(toolVersion).Append('\n');
        text.Append("source=").Append(sourceSha256.ToLowerInvariant()).Append('\n');
        text.Append("target=").Append(request.Target.Name).Append('\n');
        foreach (ModelSetting setting in ModelSettings.All.Where(s => !s.Validates && !s.Records))
            text.Append(setting.Key).Append('=').Append(request.Quantize[setting]).Append('\n');
        if (request.Quantize.CalibrationRanges.Length > 0)
            text.Append("ranges=").Append(AtomicFile.Sha256Of(request.Quantize.CalibrationRanges)).Append('\n');
        else if (request.Quantize.IsAuto)
        {
            // The gates, budgets and samples decide which candidate auto keeps, so its bytes.
            foreach (ModelSetting setting in ModelSettings.All.Where(s => s.Validates))
                text.Append(setting.Key).Append('=').Append(request.Quantize[setting]).Append('\n');
            foreach (string file in SampleFiles(request)) text.Append("sample=").Append(AtomicFile.Sha256Of(file)).Append('\n');
        }
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
        return request.Quantize.Optional(ModelSettings.SampleData) is { } samples
            ? SlmOps.Validation.SampleData.Files(samples, request.Quantize.Optional(ModelSettings.Tokenizer), request.Source).Where(File.Exists)
            : [];
    }

    /// <summary>
    /// The variant recorded in the key file of <paramref name="outputs"/> when its key is <paramref name="key"/> and
    /// every file it lists still has its recorded size and hash; otherwise null.
    /// </summary>
    public static VariantKey? TryReuse(ModelOutputs outputs, string key)
    {
        VariantKey? recorded;
        try
        {
            if (!File.Exists(outputs.VariantKeyPath)) return null;
            recorded = JsonSerializer.Deserialize<VariantKey>(File.ReadAllText(outputs.VariantKeyPath), s_json);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }

        if (recorded is null || recorded.Key != key || recorded.Files is not { Count: > 0 }) return null;
        foreach (VariantFile file in recorded.Files)
        {
            // The paths were written by this worker; still, never look outside the variant folder.
            string path = outputs.VariantFilePath(file.Path);
            if (!outputs.InVariantDirectory(path) || !File.Exists(path)) return null;
            if (new FileInfo(path).Length != file.Size || AtomicFile.Sha256Of(path) != file.Sha256) return null;
        }

        return recorded;
    }

    /// <summary>Writes the key file (temp file, then rename).</summary>
    public void Save(string keyPath) => AtomicFile.WriteAllText(keyPath, JsonSerializer.Serialize(this, s_json) + "\n");
}
