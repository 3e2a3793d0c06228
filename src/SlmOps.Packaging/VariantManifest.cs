using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SlmOps.Packaging;

/// <summary>
/// <c>manifest.json</c> beside every variant: what it was made from, how, by which tool, and the hash of every file
/// it is made of (docs/design.md, "Outputs per model").
/// </summary>
public sealed record VariantManifest
{
    /// <summary>The schema this library writes.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The model's name (the wrapper class).</summary>
    public required string Name { get; init; }

    /// <summary>The resolved model kind (<c>embedding</c>, <c>causal-lm</c>, <c>generic</c>).</summary>
    public required string Kind { get; init; }

    /// <summary>The target the variant is for.</summary>
    public required DeviceTarget Target { get; init; }

    /// <summary>The precision as the engine names it (<c>int4</c>, <c>fp32</c>, …).</summary>
    public required string Precision { get; init; }

    /// <summary>What quantization did; null for a pass-through copy.</summary>
    public VariantQuantization? Quantization { get; init; }

    /// <summary>The source model as the project names it (<see cref="VariantFile.Path"/>), with its hash and size.</summary>
    public required VariantFile Source { get; init; }

    /// <summary>The files of the variant, relative to its folder, the model first.</summary>
    public required IReadOnlyList<VariantFile> Files { get; init; }

    /// <summary>The version of the tool that made the variant.</summary>
    public required string ToolVersion { get; init; }

    /// <summary>The manifest as indented JSON with a final line break.</summary>
    public string ToJson()
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            json.WriteString("name", Name);
            json.WriteString("kind", Kind);
            json.WriteString("target", Target.Name);
            json.WriteString("precision", Precision);
            if (Quantization is { } q)
            {
                json.WriteStartObject("quantization");
                json.WriteString("settings", q.Settings);
                json.WriteNumber("tensors", q.Tensors);
                json.WriteNumber("weightBytesBefore", q.WeightBytesBefore);
                json.WriteNumber("weightBytesAfter", q.WeightBytesAfter);
                if (q.MeanSparsity is { } sparsity) json.WriteNumber("meanSparsity", Math.Round(sparsity, 4));
                json.WriteEndObject();
            }

            json.WritePropertyName("source");
            Source.Write(json);
            json.WriteStartArray("files");
            foreach (var file in Files) file.Write(json);
            json.WriteEndArray();
            json.WriteStartObject("tool");
            json.WriteString("name", "slmops");
            json.WriteString("version", ToolVersion);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
