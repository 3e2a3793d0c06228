using System.Text.Json;

namespace SlmOps.Packaging.Tests;

public class VariantManifestTests
{
    internal static VariantManifest Manifest(VariantQuantization? quantization) => new()
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

    internal static VariantValidation Validation(bool passed = true, string mode = "error") => new(
        mode, passed, "1.31.1", "embedding", 1, true,
        [new VariantGate("MinCosine", "embedding", 0.96621734, 0.95, true), new VariantGate("MaxRelativeError", "last_hidden_state", passed ? 0.22 : double.NaN, 0.35, passed)],
        passed ? [] : ["SLM4003: The output 'last_hidden_state' has 3 NaN or infinite values where the original's are finite."],
        new VariantLatency("linux-x64", 10, 12.1234, 14.5, 10.6, 11.9));

    internal static VariantAutoPrecision Auto() => new("int4 + 2/3 int8", ["W1", "table"],
    [
        new VariantTrial("int4", 14_000_000, false, [new VariantGate("MinCosine", "embedding", 0.87, 0.99, false)]),
        new VariantTrial("int8-weight + embeddings", 26_000_000, true, [new VariantGate("MinCosine", "embedding", 0.9992, 0.99, true)]),
        new VariantTrial("int4 + 2/3 int8", 19_500_000, true, [new VariantGate("MinCosine", "embedding", 0.9902, 0.99, true)]),
    ]);

    [Fact]
    public void An_auto_section_lists_the_choice_the_kept_layers_and_every_candidate_before_the_validation()
    {
        string json = (Manifest(new VariantQuantization("int4", 36, 1000, 300, null)) with { Auto = Auto(), Validation = Validation() }).ToJson();

        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(["schemaVersion", "name", "kind", "target", "precision", "quantization", "auto", "validation", "source", "files", "tool"], root.EnumerateObject().Select(p => p.Name));
        var auto = root.GetProperty("auto");
        Assert.Equal(["chosen", "int8Layers", "explored"], auto.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["W1", "table"], auto.GetProperty("int8Layers").EnumerateArray().Select(l => l.GetString()));
        var trial = auto.GetProperty("explored")[0];
        Assert.Equal(["candidate", "bytes", "passed", "gates"], trial.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("int4", 14_000_000L, false, 0.87), (trial.GetProperty("candidate").GetString(), trial.GetProperty("bytes").GetInt64(),
            trial.GetProperty("passed").GetBoolean(), trial.GetProperty("gates")[0].GetProperty("measured").GetDouble()));
    }

    [Fact]
    public void The_validation_section_follows_the_quantization_and_rounds_what_it_measured()
    {
        string json = (Manifest(new VariantQuantization("int4", 36, 1000, 300, null)) with { Validation = Validation() }).ToJson();

        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(["schemaVersion", "name", "kind", "target", "precision", "quantization", "validation", "source", "files", "tool"], root.EnumerateObject().Select(p => p.Name));
        var v = root.GetProperty("validation");
        Assert.Equal(["mode", "passed", "onnxRuntime", "kind", "samples", "synthesized", "gates", "failures"], v.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.966217, v.GetProperty("gates")[0].GetProperty("measured").GetDouble());
    }

    [Fact]
    public void What_this_machine_timed_is_not_in_the_manifest_but_in_the_measurements_which_put_it_back()
    {
        var validation = Validation() with { Gates = [.. Validation().Gates, new VariantGate("MaxLatency", "p95", 14.5, 20, true), new VariantGate("MaxMemory", "session", 123.456789, 200, true)] };
        var manifest = Manifest(null) with { Validation = validation };

        string json = manifest.ToJson();
        string measurements = manifest.MeasurementsToJson()!;

        using var doc = JsonDocument.Parse(json);
        var gates = doc.RootElement.GetProperty("validation").GetProperty("gates");
        Assert.Equal([JsonValueKind.Number, JsonValueKind.Number, JsonValueKind.Null, JsonValueKind.Null], gates.EnumerateArray().Select(g => g.GetProperty("measured").ValueKind));
        Assert.DoesNotContain("latencyMs", json);
        var back = VariantManifest.Read(json).WithMeasurements(measurements);
        Assert.Equal(new VariantLatency("linux-x64", 10, 12.123, 14.5, 10.6, 11.9), back.Validation!.Latency);
        Assert.Equal([0.966217, 0.22, 14.5, 123.457], back.Validation.Gates.Select(g => g.Measured));
        Assert.Null((Manifest(null) with { Validation = validation with { Latency = null, Gates = Validation().Gates } }).MeasurementsToJson());
    }

    [Fact]
    public void A_non_finite_measurement_is_null_in_the_json()
    {
        string json = (Manifest(null) with { Validation = Validation(passed: false) }).ToJson();

        using var doc = JsonDocument.Parse(json);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("validation").GetProperty("gates")[1].GetProperty("measured").ValueKind);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_gives_back_what_ToJson_wrote(bool withEverything)
    {
        var manifest = withEverything
            ? Manifest(new VariantQuantization("int4", 36, 1000, 300, 0.5)) with
            {
                Version = "1.2.0-beta.1", Channel = "canary", MinAppVersion = "2.0", Target = DeviceTarget.Parse("rpi5", "linux-arm64"),
                Auto = Auto(), Validation = Validation(passed: false, mode: "warn"),
            }
            : Manifest(null);

        var read = VariantManifest.Read(manifest.ToJson());

        Assert.Equal(manifest.ToJson(), read.ToJson());
        Assert.Equal(manifest.Target.Name, read.Target.Name);
    }

    [Fact]
    public void A_profile_target_records_its_rid_and_execution_provider_after_its_name_and_reads_back()
    {
        var manifest = Manifest(null) with { Target = DeviceTarget.Parse("jetson-orin", "linux-arm64", "cuda") };

        using var doc = JsonDocument.Parse(manifest.ToJson());
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["target", "runtimeIdentifier", "executionProvider"], names.Skip(names.IndexOf("target")).Take(3));
        var read = VariantManifest.Read(manifest.ToJson()).Target;
        Assert.Equal(("jetson-orin", "linux-arm64", "cuda", "arm64"), (read.Name, read.RuntimeIdentifier, read.ExecutionProvider, read.Architecture));
        Assert.DoesNotContain("runtimeIdentifier", Manifest(null).ToJson());
    }

    [Fact]
    public void The_version_follows_the_name_and_the_rollout_the_target()
    {
        string json = (Manifest(null) with { Version = "1.2.0", Channel = "beta", MinAppVersion = "3.1.0" }).ToJson();

        using var doc = JsonDocument.Parse(json);
        Assert.Equal(["schemaVersion", "name", "version", "kind", "target", "rollout", "precision"], doc.RootElement.EnumerateObject().Select(p => p.Name).Take(7));
        var rollout = doc.RootElement.GetProperty("rollout");
        Assert.Equal(("beta", "3.1.0"), (rollout.GetProperty("channel").GetString(), rollout.GetProperty("minAppVersion").GetString()));
        Assert.DoesNotContain("rollout", Manifest(null).ToJson());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("""{"schemaVersion": 2}""")]
    public void Read_refuses_what_is_not_a_manifest_of_this_schema(string json)
    {
        Assert.Throws<FormatException>(() => VariantManifest.Read(json));
    }
}
