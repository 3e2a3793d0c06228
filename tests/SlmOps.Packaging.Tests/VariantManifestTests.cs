using System.Text.Json;

namespace SlmOps.Packaging.Tests;

public class VariantManifestTests
{
    private static VariantManifest Manifest(VariantQuantization? quantization) => new()
    {
        Name = "MiniLm",
        Kind = "embedding",
        Target = DeviceTarget.Parse("linux-arm64"),
        Precision = quantization is null ? "fp32" : "int4",
        Quantization = quantization,
        Source = new VariantFile("models/mini \"lm\".onnx", new string('a', 64), 90_000_000),
        Files = [new VariantFile("model.onnx", new string('b', 64), 55_000_000), new VariantFile("model.onnx.data", new string('c', 64), 7)],
        ToolVersion = "1.2.3+abc",
    };

    [Fact]
    public void The_manifest_has_the_documented_fields_in_order()
    {
        string json = Manifest(new VariantQuantization("int4 block 32 symmetric", 36, 1000, 300, 0.123456)).ToJson();

        Assert.EndsWith("}\n", json);
        Assert.DoesNotContain("\r", json);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(["schemaVersion", "name", "kind", "target", "precision", "quantization", "source", "files", "tool"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("linux-arm64", root.GetProperty("target").GetString());
        var q = root.GetProperty("quantization");
        Assert.Equal(("int4 block 32 symmetric", 36, 1000L, 300L, 0.1235),
            (q.GetProperty("settings").GetString(), q.GetProperty("tensors").GetInt32(), q.GetProperty("weightBytesBefore").GetInt64(), q.GetProperty("weightBytesAfter").GetInt64(), q.GetProperty("meanSparsity").GetDouble()));
        Assert.Equal("models/mini \"lm\".onnx", root.GetProperty("source").GetProperty("path").GetString());
        Assert.Equal(["model.onnx", "model.onnx.data"], root.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
        Assert.Equal(("slmops", "1.2.3+abc"), (root.GetProperty("tool").GetProperty("name").GetString(), root.GetProperty("tool").GetProperty("version").GetString()));
    }

    [Fact]
    public void A_copy_has_no_quantization_and_no_sparsity_without_pruning()
    {
        using var copy = JsonDocument.Parse(Manifest(null).ToJson());
        Assert.False(copy.RootElement.TryGetProperty("quantization", out _));

        using var quantized = JsonDocument.Parse(Manifest(new VariantQuantization("int8", 1, 4, 1, null)).ToJson());
        Assert.False(quantized.RootElement.GetProperty("quantization").TryGetProperty("meanSparsity", out _));
    }
}
