using System.Text.Json;

namespace SlmOps.Packaging;

/// <summary>One file in a <see cref="VariantManifest"/>: its path, SHA-256 (lower-case hex) and size in bytes.</summary>
public sealed record VariantFile(string Path, string Sha256, long Size)
{
    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("path", Path);
        json.WriteString("sha256", Sha256);
        json.WriteNumber("size", Size);
        json.WriteEndObject();
    }
}
