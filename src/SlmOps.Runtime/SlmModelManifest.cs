using System.Text.Json;

namespace SlmOps.Runtime;

/// <summary>
/// What the SlmOps SDK recorded about the model variant an app runs: the <c>manifest.json</c> it places beside
/// <c>model.onnx</c> (docs/device-profiles.md), with the model's name and version, the target it was made for, how it
/// was quantized and validated, its rollout channel, and the model package it came from. For an app to report what
/// it runs, or to refuse a variant its version may not load (<see cref="MinAppVersion"/>).
/// </summary>
public sealed class SlmModelManifest
{
    private SlmModelManifest(JsonElement root, string json)
    {
        Json = json;
        Name = root.GetProperty("name").GetString()!;
        Version = OptionalString(root, "version");
        Kind = root.GetProperty("kind").GetString()!;
        Target = root.GetProperty("target").GetString()!;
        RuntimeIdentifier = OptionalString(root, "runtimeIdentifier") ?? Target;
        ExecutionProvider = OptionalString(root, "executionProvider") ?? "cpu";
        Precision = root.GetProperty("precision").GetString()!;
        if (root.TryGetProperty("rollout", out var rollout))
        {
            Channel = OptionalString(rollout, "channel");
            MinAppVersion = OptionalString(rollout, "minAppVersion");
        }

        if (root.TryGetProperty("package", out var package))
        {
            PackageId = package.GetProperty("id").GetString();
            PackageVersion = package.GetProperty("version").GetString();
        }

        if (root.TryGetProperty("validation", out var validation))
        {
            ValidationPassed = validation.GetProperty("passed").GetBoolean();
            ValidatedWithOnnxRuntime = OptionalString(validation, "onnxRuntime");
        }

        SourceSha256 = root.GetProperty("source").GetProperty("sha256").GetString()!;
        ModelSha256 = root.GetProperty("files")[0].GetProperty("sha256").GetString()!;
        ToolVersion = root.GetProperty("tool").GetProperty("version").GetString()!;
    }

    /// <summary>The model's name in the project that made the variant.</summary>
    public string Name { get; }

    /// <summary>The model's version (the SlmModel's <c>Version</c> metadata), or null.</summary>
    public string? Version { get; }

    /// <summary><c>embedding</c>, <c>causal-lm</c> or <c>generic</c>.</summary>
    public string Kind { get; }

    /// <summary>The target the variant was made for: a RID (<c>linux-x64</c>) or a device profile (<c>rpi5</c>).</summary>
    public string Target { get; }

    /// <summary>The RID the target runs under.</summary>
    public string RuntimeIdentifier { get; }

    /// <summary>The ONNX Runtime execution provider the variant was made for (<c>cpu</c> unless a profile says otherwise).</summary>
    public string ExecutionProvider { get; }

    /// <summary>The precision: <c>int4</c>, <c>int8</c>, <c>fp16</c>, <c>fp32</c>, …</summary>
    public string Precision { get; }

    /// <summary>The rollout channel or ring (<c>canary</c>, <c>beta</c>, <c>stable</c>, …), or null.</summary>
    public string? Channel { get; }

    /// <summary>The oldest app version that may load the variant, or null.</summary>
    public string? MinAppVersion { get; }

    /// <summary>The model package the build took the variant from (<c>SlmModelPackage</c>), or null when it made it.</summary>
    public string? PackageId { get; }

    /// <summary>That package's version, or null.</summary>
    public string? PackageVersion { get; }

    /// <summary>Whether the variant passed its validation gates; null when validation was off.</summary>
    public bool? ValidationPassed { get; }

    /// <summary>The ONNX Runtime version the variant was validated with, or null.</summary>
    public string? ValidatedWithOnnxRuntime { get; }

    /// <summary>The SHA-256 of the model the variant was made from (lower-case hex).</summary>
    public string SourceSha256 { get; }

    /// <summary>The SHA-256 of the variant's <c>model.onnx</c> (lower-case hex).</summary>
    public string ModelSha256 { get; }

    /// <summary>The version of the SlmOps tool that made the variant.</summary>
    public string ToolVersion { get; }

    /// <summary>The manifest as written, for what the properties leave out (the gates, the files, the quantization settings).</summary>
    public string Json { get; }

    /// <summary>Reads the <c>manifest.json</c> in <paramref name="modelDirectory"/>; null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not a manifest the SDK writes.</exception>
    public static SlmModelManifest? TryRead(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        string path = Path.Combine(modelDirectory, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path), path) : null;
    }

    /// <summary>The manifest's file name beside <c>model.onnx</c>.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Reads manifest JSON; <paramref name="source"/> names it in the exception.</summary>
    /// <exception cref="InvalidDataException">It is not a manifest the SDK writes.</exception>
    public static SlmModelManifest Parse(string json, string source = "the manifest")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            return new SlmModelManifest(document.RootElement, json);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"'{source}' is not a model manifest the SlmOps SDK writes: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name} {Version ?? "(no version)"} for {Target}, {Precision}" + (PackageId is null ? "" : $", from {PackageId} {PackageVersion}");

    private static string? OptionalString(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
