using System.Text.Json;

namespace SlmOps.Runtime;

/// <summary>
/// The settings SlmOps reads from an ONNX Runtime GenAI <c>genai_config.json</c> beside a causal LM (the SDK ships the
/// one it finds beside the model): its end-of-sequence token ids, padding token and context length. ONNX Runtime
/// GenAI itself is not needed.
/// </summary>
public sealed record SlmGenAiConfig(IReadOnlyList<int> EndOfSequenceTokenIds, int? PadTokenId, int? ContextLength)
{
    /// <summary>The file's name beside <c>model.onnx</c>.</summary>
    public const string FileName = "genai_config.json";

    /// <summary>Reads <c>genai_config.json</c> in <paramref name="modelDirectory"/>; null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not JSON, or its <c>model</c> section is not what ONNX Runtime GenAI writes.</exception>
    public static SlmGenAiConfig? TryRead(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        string path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { MaxDepth = 32, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!document.RootElement.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{path}' has no \"model\" object: it is not an ONNX Runtime GenAI configuration.");
            var eos = new List<int>();
            if (model.TryGetProperty("eos_token_id", out var e))
            {
                if (e.ValueKind == JsonValueKind.Array) eos.AddRange(e.EnumerateArray().Select(v => v.GetInt32()));
                else eos.Add(e.GetInt32());
            }

            int? Optional(string name) => model.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
            int? context = Optional("context_length");
            if (context is <= 0) throw new InvalidDataException($"'{path}' gives a context_length of {context}.");
            return new SlmGenAiConfig(eos, Optional("pad_token_id"), context);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{path}' cannot be read as an ONNX Runtime GenAI configuration: {ex.Message}", ex);
        }
    }
}
