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

    /// <summary>How the variant was validated in ONNX Runtime; null when validation is off.</summary>
    public VariantValidation? Validation { get; init; }

    /// <summary>The source model as the project names it (<see cref="VariantFile.Path"/>), with its hash and size.</summary>
    public required VariantFile Source { get; init; }

    /// <summary>The files of the variant, relative to its folder, the model first.</summary>
    public required IReadOnlyList<VariantFile> Files { get; init; }

    /// <summary>The model's version (<c>Version</c> metadata), or null when the project gives none.</summary>
    public string? Version { get; init; }

    /// <summary>The rollout channel or ring (<c>Channel</c> metadata: canary, beta, stable, …), or null.</summary>
    public string? Channel { get; init; }

    /// <summary>The oldest app version that may load this variant (<c>MinAppVersion</c> metadata), or null.</summary>
    public string? MinAppVersion { get; init; }

    /// <summary>With <c>Precision="auto"</c>: what the search tried and chose; otherwise null.</summary>
    public VariantAutoPrecision? Auto { get; init; }

    /// <summary>
    /// For a variant a build took from a model package (<c>SlmModelPackage</c>): the package's id and version. The rest
    /// of the manifest is the package's, as its producer's build wrote it. Null for a variant the build made.
    /// </summary>
    public VariantPackage? Package { get; init; }

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
            if (Version is not null) json.WriteString("version", Version);
            json.WriteString("kind", Kind);
            json.WriteString("target", Target.Name);
            if (Target.IsProfile)
            {
                json.WriteString("runtimeIdentifier", Target.RuntimeIdentifier);
                json.WriteString("executionProvider", Target.ExecutionProvider);
            }

            if (Channel is not null || MinAppVersion is not null)
            {
                json.WriteStartObject("rollout");
                if (Channel is not null) json.WriteString("channel", Channel);
                if (MinAppVersion is not null) json.WriteString("minAppVersion", MinAppVersion);
                json.WriteEndObject();
            }

            if (Package is { } package)
            {
                json.WriteStartObject("package");
                json.WriteString("id", package.Id);
                json.WriteString("version", package.Version);
                json.WriteEndObject();
            }

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

            if (Auto is { } auto) WriteAuto(json, auto);
            if (Validation is { } v) WriteValidation(json, v);
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

    /// <summary>Reads a manifest that <see cref="ToJson"/> wrote.</summary>
    /// <exception cref="FormatException">It is not JSON, not schema <see cref="SchemaVersion"/>, or lacks a property.</exception>
    public static VariantManifest Read(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            JsonElement root = document.RootElement;
            int schema = root.GetProperty("schemaVersion").GetInt32();
            if (schema != SchemaVersion) throw new FormatException($"The manifest has schema {schema}; this version reads {SchemaVersion}.");
            JsonElement? rollout = root.TryGetProperty("rollout", out var r) ? r : null;
            return new VariantManifest
            {
                Name = root.GetProperty("name").GetString()!,
                Version = root.TryGetProperty("version", out var version) ? version.GetString() : null,
                Channel = rollout?.TryGetProperty("channel", out var channel) == true ? channel.GetString() : null,
                MinAppVersion = rollout?.TryGetProperty("minAppVersion", out var min) == true ? min.GetString() : null,
                Kind = root.GetProperty("kind").GetString()!,
                Target = DeviceTarget.Parse(root.GetProperty("target").GetString()!,
                    root.TryGetProperty("runtimeIdentifier", out var rid) ? rid.GetString() : null,
                    root.TryGetProperty("executionProvider", out var ep) ? ep.GetString() : null),
                Precision = root.GetProperty("precision").GetString()!,
                Quantization = root.TryGetProperty("quantization", out var q)
                    ? new VariantQuantization(q.GetProperty("settings").GetString()!, q.GetProperty("tensors").GetInt32(),
                        q.GetProperty("weightBytesBefore").GetInt64(), q.GetProperty("weightBytesAfter").GetInt64(),
                        q.TryGetProperty("meanSparsity", out var sparsity) ? sparsity.GetDouble() : null)
                    : null,
                Auto = root.TryGetProperty("auto", out var a) ? ReadAuto(a) : null,
                Validation = root.TryGetProperty("validation", out var v) ? ReadValidation(v) : null,
                Source = ReadFile(root.GetProperty("source")),
                Files = root.GetProperty("files").EnumerateArray().Select(ReadFile).ToList(),
                Package = root.TryGetProperty("package", out var p) ? new VariantPackage(p.GetProperty("id").GetString()!, p.GetProperty("version").GetString()!) : null,
                ToolVersion = root.GetProperty("tool").GetProperty("version").GetString()!,
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"The manifest is not one this version writes: {ex.Message}", ex);
        }
    }

    private static VariantFile ReadFile(JsonElement file) =>
        new(file.GetProperty("path").GetString()!, file.GetProperty("sha256").GetString()!, file.GetProperty("size").GetInt64());

    private static VariantValidation ReadValidation(JsonElement v) => new(
        v.GetProperty("mode").GetString()!,
        v.GetProperty("passed").GetBoolean(),
        v.GetProperty("onnxRuntime").GetString()!,
        v.GetProperty("kind").GetString()!,
        v.GetProperty("samples").GetInt32(),
        v.GetProperty("synthesized").GetBoolean(),
        ReadGates(v.GetProperty("gates")),
        v.GetProperty("failures").EnumerateArray().Select(f => f.GetString()!).ToList(),
        Latency: null);

    private static List<VariantGate> ReadGates(JsonElement gates) => gates.EnumerateArray().Select(g => new VariantGate(
        g.GetProperty("gate").GetString()!, g.GetProperty("subject").GetString()!,
        g.GetProperty("measured").ValueKind == JsonValueKind.Null ? double.NaN : g.GetProperty("measured").GetDouble(),
        g.GetProperty("threshold").GetDouble(), g.GetProperty("passed").GetBoolean())).ToList();

    private static VariantAutoPrecision ReadAuto(JsonElement a) => new(
        a.GetProperty("chosen").GetString()!,
        a.GetProperty("int8Layers").EnumerateArray().Select(l => l.GetString()!).ToList(),
        a.GetProperty("explored").EnumerateArray().Select(t => new VariantTrial(
            t.GetProperty("candidate").GetString()!, t.GetProperty("bytes").GetInt64(), t.GetProperty("passed").GetBoolean(), ReadGates(t.GetProperty("gates")))).ToList());

    internal static void WriteAuto(Utf8JsonWriter json, VariantAutoPrecision auto)
    {
        json.WriteStartObject("auto");
        json.WriteString("chosen", auto.Chosen);
        json.WriteStartArray("int8Layers");
        foreach (string layer in auto.Int8Layers) json.WriteStringValue(layer);
        json.WriteEndArray();
        json.WriteStartArray("explored");
        foreach (VariantTrial trial in auto.Explored)
        {
            json.WriteStartObject();
            json.WriteString("candidate", trial.Candidate);
            json.WriteNumber("bytes", trial.Bytes);
            json.WriteBoolean("passed", trial.Passed);
            WriteGates(json, trial.Gates);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteGates(Utf8JsonWriter json, IReadOnlyList<VariantGate> gates)
    {
        json.WriteStartArray("gates");
        foreach (VariantGate gate in gates)
        {
            json.WriteStartObject();
            json.WriteString("gate", gate.Gate);
            json.WriteString("subject", gate.Subject);
            // NaN or infinity (a variant whose output is not finite) is not JSON: null, and the gate failed. A time or
            // memory measured on this machine is not in the manifest either (MeasurementsToJson).
            if (double.IsFinite(gate.Measured) && !IsMachineMeasured(gate.Gate)) json.WriteNumber("measured", Round(gate.Measured));
            else json.WriteNull("measured");
            json.WriteNumber("threshold", gate.Threshold);
            json.WriteBoolean("passed", gate.Passed);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    internal static void WriteValidation(Utf8JsonWriter json, VariantValidation v)
    {
        json.WriteStartObject("validation");
        json.WriteString("mode", v.Mode);
        json.WriteBoolean("passed", v.Passed);
        json.WriteString("onnxRuntime", v.OnnxRuntime);
        json.WriteString("kind", v.Kind);
        json.WriteNumber("samples", v.Samples);
        json.WriteBoolean("synthesized", v.Synthesized);
        WriteGates(json, v.Gates);
        json.WriteStartArray("failures");
        foreach (string failure in v.Failures) json.WriteStringValue(failure);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>
    /// Gates whose measured value is this machine's time or memory (load time, latency, memory growth): they differ
    /// from run to run and machine to machine, so the manifest records their threshold and verdict only, and the
    /// measured values go to <see cref="MeasurementsToJson"/>.
    /// </summary>
    public static bool IsMachineMeasured(string gate) => gate is "MaxLoadTime" or "MaxLatency" or "MaxMemory";

    /// <summary>
    /// What validation measured on this machine and the manifest leaves out (<see cref="IsMachineMeasured"/> gates'
    /// values, the latency): for the report of a later build. Null when validation measured none of it.
    /// </summary>
    public string? MeasurementsToJson()
    {
        if (Validation is not { } v) return null;
        var timed = v.Gates.Where(g => IsMachineMeasured(g.Gate) && double.IsFinite(g.Measured)).ToList();
        if (v.Latency is null && timed.Count == 0) return null;
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            if (v.Latency is { } l)
            {
                json.WriteStartObject("latencyMs");
                json.WriteString("host", l.Host);
                json.WriteNumber("runs", l.Runs);
                json.WriteNumber("p50", Math.Round(l.P50, 3));
                json.WriteNumber("p95", Math.Round(l.P95, 3));
                json.WriteNumber("originalP50", Math.Round(l.OriginalP50, 3));
                json.WriteNumber("originalP95", Math.Round(l.OriginalP95, 3));
                json.WriteEndObject();
            }

            json.WriteStartArray("gates");
            foreach (VariantGate gate in timed)
            {
                json.WriteStartObject();
                json.WriteString("gate", gate.Gate);
                json.WriteString("subject", gate.Subject);
                json.WriteNumber("measured", Round(gate.Measured));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>The manifest with what <see cref="MeasurementsToJson"/> wrote put back into its validation.</summary>
    /// <exception cref="FormatException">The measurements are not JSON this version writes.</exception>
    public VariantManifest WithMeasurements(string json)
    {
        if (Validation is not { } v) return this;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            JsonElement root = document.RootElement;
            var measured = root.GetProperty("gates").EnumerateArray()
                .ToDictionary(g => (g.GetProperty("gate").GetString()!, g.GetProperty("subject").GetString()!), g => g.GetProperty("measured").GetDouble());
            return this with
            {
                Validation = v with
                {
                    Latency = root.TryGetProperty("latencyMs", out var l) ? ReadLatency(l) : v.Latency,
                    Gates = v.Gates.Select(g => measured.TryGetValue((g.Gate, g.Subject), out double m) ? g with { Measured = m } : g).ToList(),
                },
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"The measurements are not what this version writes: {ex.Message}", ex);
        }
    }

    private static VariantLatency ReadLatency(JsonElement l) =>
        new(l.GetProperty("host").GetString()!, l.GetProperty("runs").GetInt32(), l.GetProperty("p50").GetDouble(),
            l.GetProperty("p95").GetDouble(), l.GetProperty("originalP50").GetDouble(), l.GetProperty("originalP95").GetDouble());

    /// <summary>Six significant digits: enough to compare with a threshold, and no float noise in the file.</summary>
    internal static double Round(double value) =>
        value == 0 ? value : double.Parse(value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The model package a build took a variant from: its NuGet id and normalized version.</summary>
public sealed record VariantPackage(string Id, string Version);
