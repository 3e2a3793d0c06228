using SlmOps.Validation;
using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

/// <summary>The validation step of <c>slmops prepare</c>: what the build does with a variant that fails or passes its checks.</summary>
public sealed class PrepareValidationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Request => _temp.Combine("request.json");

    private RequestModel Model(params (string Key, string Value)[] settings)
    {
        string source = File.Exists(_temp.Combine("models", "linear.onnx"))
            ? _temp.Combine("models", "linear.onnx")
            : OnnxModelFactory.Write(Directory.CreateDirectory(_temp.Combine("models")).FullName, "linear.onnx");
        return new RequestModel(source, "Linear", _temp.Combine("obj"), Settings: settings.ToDictionary(s => s.Key, s => s.Value));
    }

    private CliRunner.Result Prepare(RequestModel model)
    {
        RequestModel.WriteRequest(Request, false, model);
        return CliRunner.Run(["prepare", Request]);
    }

    private static JsonElement Validation(RequestModel model) =>
        JsonDocument.Parse(File.ReadAllText(model.ManifestPath)).RootElement.GetProperty("validation");

    [Fact]
    public void A_variant_within_its_gates_ships_with_every_gate_in_its_manifest_and_the_key_numbers_in_its_summary()
    {
        var model = Model(("precision", "int8-weight"), ("blockSize", "16"));

        var result = Prepare(model);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Empty(result.Diagnostics);
        Assert.Matches(@"^SlmOps: Linear \(linux-x64\): int8-weight, .* -> .*, validated: MaxRelativeError [0-9.]+ \(<= 0\.1\), p50 \d+\.\d ms \(original \d+\.\d ms\), \d+\.\d\d s$",
            Assert.Single(result.Summaries));
        var validation = Validation(model);
        Assert.Equal(("error", true, "generic"), (validation.GetProperty("mode").GetString(), validation.GetProperty("passed").GetBoolean(), validation.GetProperty("kind").GetString()));
        var gate = Assert.Single(validation.GetProperty("gates").EnumerateArray());
        Assert.Equal(("MaxRelativeError", "y", 0.1, true),
            (gate.GetProperty("gate").GetString(), gate.GetProperty("subject").GetString(), gate.GetProperty("threshold").GetDouble(), gate.GetProperty("passed").GetBoolean()));
        Assert.InRange(gate.GetProperty("measured").GetDouble(), 0, 0.1);
        Assert.Empty(validation.GetProperty("failures").EnumerateArray());
        // The latency measured on this machine is beside the manifest, not in it.
        Assert.False(validation.TryGetProperty("latencyMs", out _));
        using var measurements = JsonDocument.Parse(File.ReadAllText(model.VariantDirectory + "slmops.measurements.json"));
        Assert.Equal("linux-x64", measurements.RootElement.GetProperty("latencyMs").GetProperty("host").GetString());
    }

    [Fact]
    public void Version_and_rollout_go_in_the_manifest_and_changing_them_writes_it_again_without_making_the_variant_again()
    {
        var first = Model(("precision", "int4"), ("blockSize", "16"), ("version", "1.0.0"), ("channel", "canary"), ("minAppVersion", "2.1"));
        Assert.Equal(0, Prepare(first).ExitCode);
        var manifest = JsonDocument.Parse(File.ReadAllText(first.ManifestPath)).RootElement;
        Assert.Equal(("1.0.0", "canary", "2.1"), (manifest.GetProperty("version").GetString(),
            manifest.GetProperty("rollout").GetProperty("channel").GetString(), manifest.GetProperty("rollout").GetProperty("minAppVersion").GetString()));
        byte[] variant = File.ReadAllBytes(first.VariantModelPath);

        var bumped = Model(("precision", "int4"), ("blockSize", "16"), ("version", "1.1.0"), ("channel", "stable"));
        var result = Prepare(bumped);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("unchanged; validating it again", result.Out, StringComparison.Ordinal);
        Assert.Equal(variant, File.ReadAllBytes(bumped.VariantModelPath));
        manifest = JsonDocument.Parse(File.ReadAllText(bumped.ManifestPath)).RootElement;
        Assert.Equal("1.1.0", manifest.GetProperty("version").GetString());
        Assert.False(manifest.GetProperty("rollout").TryGetProperty("minAppVersion", out _));
    }

    [Fact]
    public void Preparing_twice_gives_bit_identical_variants_and_manifests()
    {
        string source = OnnxModelFactory.Write(Directory.CreateDirectory(_temp.Combine("models")).FullName, "dense.onnx", OnnxModelFactory.CreateDense(128, 64));
        RequestModel Made(string obj)
        {
            var model = new RequestModel(source, "Dense", _temp.Combine(obj), Settings: new Dictionary<string, string> { ["precision"] = "int4", ["blockSize"] = "16", ["version"] = "1.0.0" });
            Assert.Equal(0, Prepare(model).ExitCode);
            return model;
        }

        var (first, second) = (Made("obj1"), Made("obj2"));

        Assert.Equal(File.ReadAllBytes(first.VariantModelPath), File.ReadAllBytes(second.VariantModelPath));
        // No time stamps, and what was timed on this machine is in the measurements beside the manifest.
        Assert.Equal(File.ReadAllBytes(first.ManifestPath), File.ReadAllBytes(second.ManifestPath));
        Assert.Contains("\"latencyMs\"", File.ReadAllText(first.VariantDirectory + "slmops.measurements.json"));
    }

    [Fact]
    public void A_failed_gate_is_an_SLM4010_error_naming_model_target_precision_value_and_threshold_and_nothing_ships()
    {
        var model = Model(("precision", "int4"), ("blockSize", "16"), ("maxRelativeError", "0.0001%"));

        var result = Prepare(model);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("error", "SLM4010", model.Source), (error[1], error[2], error[3]));
        Assert.Matches(@"^SlmModel 'Linear' \(linux-x64, int4\): MaxRelativeError of 'y' is [0-9.]+, above the gate's 0\.000001\.$", error[4]);
        Assert.Empty(result.Summaries);
        Assert.False(File.Exists(model.ManifestPath));
        Assert.False(File.Exists(model.DepsPath));
        Assert.False(File.Exists(model.ContractPath));
        // The variant itself is kept (unlisted, so never copied to the output) for the next run to validate again.
        Assert.True(File.Exists(model.VariantModelPath));
        Assert.True(File.Exists(model.VariantKeyPath));
    }

    [Fact]
    public void Changing_a_gate_validates_the_same_variant_again_without_quantizing_again()
    {
        var failing = Model(("precision", "int4"), ("blockSize", "16"), ("maxRelativeError", "0.0001%"));
        Assert.Equal(1, Prepare(failing).ExitCode);
        byte[] bytes = File.ReadAllBytes(failing.VariantModelPath);

        var relaxed = Model(("precision", "int4"), ("blockSize", "16"), ("maxRelativeError", "50%"));
        var result = Prepare(relaxed);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("SlmOps: Linear (linux-x64): the variant made with these settings is unchanged; validating it again", result.Out);
        Assert.Equal(bytes, File.ReadAllBytes(relaxed.VariantModelPath));
        Assert.Equal(0.5, Assert.Single(Validation(relaxed).GetProperty("gates").EnumerateArray()).GetProperty("threshold").GetDouble());
        // The manifest still says how the variant was made, from the key file.
        var quantization = JsonDocument.Parse(File.ReadAllText(relaxed.ManifestPath)).RootElement.GetProperty("quantization");
        Assert.Equal(1, quantization.GetProperty("tensors").GetInt32());
    }

    [Fact]
    public void Changing_a_quantization_setting_or_the_variant_file_makes_the_variant_again()
    {
        Assert.Equal(0, Prepare(Model(("precision", "int4"), ("blockSize", "16"))).ExitCode);

        var other = Model(("precision", "int4"), ("blockSize", "32"));
        var result = Prepare(other);
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("unchanged; validating it again", result.Out);

        File.AppendAllText(other.VariantModelPath, "tampered");
        result = Prepare(other);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.DoesNotContain("unchanged; validating it again", result.Out);
        Assert.Equal(0, Prepare(other).ExitCode);
    }

    [Fact]
    public void ValidationMode_warn_reports_the_failed_gate_as_a_warning_and_ships_the_variant_with_the_failure_in_its_manifest()
    {
        var model = Model(("precision", "int4"), ("blockSize", "16"), ("maxRelativeError", "0.0001%"), ("validationMode", "warn"));

        var result = Prepare(model);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal(("warning", "SLM4010"), (warning[1], warning[2]));
        Assert.EndsWith("(ValidationMode=\"warn\": the variant ships anyway)", warning[4]);
        Assert.Contains("FAILED 1 check: MaxRelativeError", Assert.Single(result.Summaries));
        var validation = Validation(model);
        Assert.Equal(("warn", false), (validation.GetProperty("mode").GetString(), validation.GetProperty("passed").GetBoolean()));
        Assert.StartsWith("SLM4010: MaxRelativeError of 'y'", Assert.Single(validation.GetProperty("failures").EnumerateArray()).GetString());
    }

    [Fact]
    public void ValidationMode_off_runs_no_check_and_writes_no_validation_section()
    {
        var model = Model(("precision", "int4"), ("blockSize", "16"), ("maxRelativeError", "0.0001%"), ("validationMode", "off"));

        var result = Prepare(model);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.DoesNotContain("validated", Assert.Single(result.Summaries));
        Assert.False(JsonDocument.Parse(File.ReadAllText(model.ManifestPath)).RootElement.TryGetProperty("validation", out _));
    }

    [Theory]
    [InlineData("validationMode", "strict", "ValidationMode=\"strict\" is not a mode: use error (the default: a failed check fails the build), warn, or off.")]
    [InlineData("minCosine", "high", "MinCosine=\"high\" is not a threshold: give a non-negative number such as 0.99, a percentage such as 5%, or none.")]
    public void A_malformed_validation_setting_is_SLM4006(string key, string value, string message)
    {
        var model = Model(("precision", "int4"), ("blockSize", "16"), (key, value));

        var result = Prepare(model);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("SLM4006", $"SlmModel 'Linear': {message}"), (error[2], error[4]));
        Assert.False(File.Exists(model.VariantModelPath));
    }

    [Fact]
    public void A_copy_ONNX_Runtime_cannot_load_fails_the_build_with_SLM4001_as_the_app_would_fail_at_run_time()
    {
        // An operator no opset of the default domain has: the SDK's reader takes it, ONNX Runtime does not.
        var proto = OnnxModelFactory.CreateLinear();
        proto.Graph.Node[0].OpType = "MatMulish";
        string source = OnnxModelFactory.Write(_temp.FullPath, "unknown-op.onnx", proto);
        var model = new RequestModel(source, "Linear", _temp.Combine("obj"));

        var result = Prepare(model);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("SLM4001", error[2]);
        Assert.StartsWith("SlmModel 'Linear' (linux-x64, fp32): ONNX Runtime 1.31.1 cannot load the model", error[4]);
        Assert.False(File.Exists(model.ManifestPath));
    }

    [Fact]
    public void The_report_covers_the_models_of_this_run_a_failed_one_included_and_the_up_to_date_ones_from_their_manifests()
    {
        string models = Directory.CreateDirectory(_temp.Combine("models")).FullName;
        string obj = _temp.Combine("obj");
        var upToDate = new RequestModel(OnnxModelFactory.Write(models, "kept.onnx"), "Kept", obj, Settings: new Dictionary<string, string> { ["precision"] = "int8-weight", ["blockSize"] = "16" });
        var failing = new RequestModel(OnnxModelFactory.Write(models, "linear.onnx"), "Linear", obj, Settings: new Dictionary<string, string> { ["precision"] = "int4", ["blockSize"] = "16", ["maxRelativeError"] = "0.0001%" });
        string report = Directory.CreateDirectory(_temp.Combine("obj", "slm")).FullName;
        RequestModel.WriteRequest(Request, false, null, report, [upToDate], upToDate);
        Assert.Equal(0, CliRunner.Run(["prepare", Request]).ExitCode);

        RequestModel.WriteRequest(Request, false, null, report, [upToDate, failing], failing);
        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"SlmOps: validation report: {Path.Combine(report, "slm-report.html")}", result.Out);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "slm-report.json")));
        Assert.Equal([("Kept", "passed", true), ("Linear", "failed", false)], json.RootElement.GetProperty("models").EnumerateArray()
            .Select(m => (m.GetProperty("name").GetString(), m.GetProperty("status").GetString(), m.GetProperty("shipped").GetBoolean())));
        string markdown = File.ReadAllText(Path.Combine(report, "slm-report.md"));
        Assert.Contains("2 variants, 1 passed, 1 failed", markdown);
        Assert.Contains("- linux-x64: SLM4010: MaxRelativeError of 'y' is", markdown);
        Assert.True(System.Xml.Linq.XDocument.Parse(File.ReadAllText(Path.Combine(report, "slm-report.html"))).Root is not null);
    }

    [Fact]
    public void Design_time_runs_write_no_report()
    {
        var model = Model(("precision", "int4"), ("blockSize", "16"));
        string report = Directory.CreateDirectory(_temp.Combine("obj", "slm")).FullName;
        RequestModel.WriteRequest(Request, true, null, report, [model], model);

        Assert.Equal(0, CliRunner.Run(["prepare", Request]).ExitCode);
        Assert.False(File.Exists(Path.Combine(report, "slm-report.json")));
    }

    [Fact]
    public void SampleData_texts_hold_MiniLm_int4_to_its_gate_on_real_text_where_synthesized_ids_pass()
    {
        string texts = _temp.Combine("texts.txt");
        File.WriteAllLines(texts, AccuracyTexts.All);
        var strict = new RequestModel(MiniLm.ModelPath, "MiniLm", _temp.Combine("obj"),
            Settings: new Dictionary<string, string> { ["precision"] = "int4", ["sampleData"] = texts, ["tokenizer"] = MiniLm.VocabPath });

        var result = Prepare(strict);

        // The default int4 gate (0.95) holds on synthesized ids; real short texts ("OK", "42") show the loss.
        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics, d => d[1] == "error");
        Assert.Equal("SLM4010", error[2]);
        Assert.Matches(@"MinCosine of 'embedding' is 0\.8\d+, below the gate's 0\.95\.$", error[4]);

        var relaxed = strict with { Settings = new Dictionary<string, string>(strict.Settings!) { ["minCosine"] = "0.85" } };
        result = Prepare(relaxed);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        var validation = Validation(relaxed);
        Assert.Equal((7, false), (validation.GetProperty("samples").GetInt32(), validation.GetProperty("synthesized").GetBoolean()));
        // The build watches the samples and the vocabulary.
        string deps = File.ReadAllText(relaxed.DepsPath);
        Assert.Contains("in\t" + texts, deps);
        Assert.Contains("in\t" + MiniLm.VocabPath, deps);
    }

    [Fact]
    public void Changing_the_sample_data_validates_the_same_variant_again_except_for_qdq_which_it_calibrates()
    {
        string samples = _temp.Combine("samples");
        void WriteSample(float scale)
        {
            var tensor = new SlmOps.Onnx.Protobuf.TensorProto { Name = "x", DataType = (int)SlmOps.Onnx.Protobuf.TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange([2, 4]);
            tensor.FloatData.AddRange(Enumerable.Range(0, 8).Select(v => (v - 4) * scale));
            Directory.CreateDirectory(samples);
            File.WriteAllBytes(Path.Combine(samples, "input_0.pb"), Google.Protobuf.MessageExtensions.ToByteArray(tensor));
        }

        WriteSample(1f);
        var int4 = Model(("precision", "int4"), ("blockSize", "16"), ("sampleData", samples));
        Assert.Equal(0, Prepare(int4).ExitCode);
        // uint8 weights: int8 ones saturate in ONNX Runtime's u8·s8 kernels on x64 without VNNI (the next test).
        var qdq = int4 with { Name = "Qdq", Settings = new Dictionary<string, string> { ["precision"] = "qdq", ["qdqWeights"] = "uint8", ["sampleData"] = samples } };
        var result = Prepare(qdq);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("SlmOps: Qdq (linux-x64): calibrated", result.Out);
        Assert.Contains("on 1 samples of " + samples, result.Out);

        WriteSample(2f);
        Assert.Contains("unchanged; validating it again", Prepare(int4).Out);
        result = Prepare(qdq);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.DoesNotContain("unchanged; validating it again", result.Out);
        Assert.Contains("calibrated", result.Out);
    }

    [Fact]
    public void Sample_data_that_cannot_be_read_is_an_SLM4007_error_even_with_ValidationMode_warn()
    {
        var model = Model(("precision", "int4"), ("blockSize", "16"), ("sampleData", _temp.Combine("missing.txt")), ("validationMode", "warn"));

        var result = Prepare(model);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("error", "SLM4007", _temp.Combine("missing.txt")), (error[1], error[2], error[3]));
        Assert.StartsWith("SlmModel 'Linear': The sample data does not exist.", error[4]);
        Assert.False(File.Exists(model.ManifestPath));
    }

    /// <summary>
    /// Full-range signed int8 weights overflow the u8·s8 multiply-adds of x64 CPUs without VNNI (this machine's): the
    /// model loads and runs, and only the drift check sees the damage. On a CPU with VNNI the same variant passes.
    /// </summary>
    [Fact]
    public void Int8_weights_that_saturate_on_this_cpu_fail_the_drift_gate_and_unsigned_ones_pass()
    {
        string samples = Directory.CreateDirectory(_temp.Combine("samples")).FullName;
        var tensor = new SlmOps.Onnx.Protobuf.TensorProto { Name = "x", DataType = (int)SlmOps.Onnx.Protobuf.TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange([2, 4]);
        tensor.FloatData.AddRange(Enumerable.Range(0, 8).Select(v => (float)(v - 4)));
        File.WriteAllBytes(Path.Combine(samples, "input_0.pb"), Google.Protobuf.MessageExtensions.ToByteArray(tensor));

        var signed = Prepare(Model(("precision", "qdq"), ("qdqWeights", "int8"), ("sampleData", samples)));
        var unsigned = Prepare(Model(("precision", "qdq"), ("qdqWeights", "uint8"), ("sampleData", samples)));

        Assert.True(unsigned.ExitCode == 0, unsigned.Out);
        if (Int8Cpu.SaturatesSignedWeights)
        {
            Assert.Equal(1, signed.ExitCode);
            Assert.Matches(@"MaxRelativeError of 'y' is 0\.[4-9]\d*, above the gate's 0\.35\.$", Assert.Single(signed.Diagnostics, d => d[1] == "error")[4]);
        }
        else
        {
            Assert.True(signed.ExitCode == 0, signed.Out);
        }
    }

    [Fact]
    public void A_variant_over_its_size_budget_is_an_SLM4011_error_and_budgets_it_fits_are_gates_in_the_manifest()
    {
        var over = Model(("precision", "int4"), ("blockSize", "16"), ("maxModelSize", "100B"));

        var result = Prepare(over);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics, d => d[1] == "error");
        Assert.Equal("SLM4011", error[2]);
        Assert.Matches(@"^SlmModel 'Linear' \(linux-x64, int4\): MaxModelSize: the variant's size is 0\.\d+ MB, over the budget of 0\.0001 MB\.$", error[4]);

        var fits = Model(("precision", "int4"), ("blockSize", "16"), ("maxModelSize", "1MB"), ("maxLoadTime", "10s"), ("maxLatency", "10s"), ("maxMemory", "1GB"));
        result = Prepare(fits);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        var budgets = Validation(fits).GetProperty("gates").EnumerateArray().Select(g => (g.GetProperty("gate").GetString(), g.GetProperty("threshold").GetDouble())).Skip(1).ToList();
        Assert.Equal([("MaxModelSize", 1.0), ("MaxLoadTime", 10000.0), ("MaxLatency", 10000.0), ("MaxMemory", 1000.0)], budgets);
    }

    [Fact]
    public void For_a_target_of_another_architecture_only_the_size_budget_is_held_and_an_info_says_why()
    {
        var model = Model(("precision", "int4"), ("blockSize", "16"), ("maxLatency", "0.000001ms"), ("maxModelSize", "1MB")) with { Target = "linux-arm64" };

        var result = Prepare(model);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        var info = Assert.Single(result.Diagnostics, d => d[2] == "SLM4011");
        Assert.Equal("info", info[1]);
        Assert.EndsWith("the load time, latency and memory budgets are not checked: they are measured on this linux-x64 machine, not on linux-arm64.", info[4]);
        Assert.DoesNotContain(Validation(model).GetProperty("gates").EnumerateArray(), g => g.GetProperty("gate").GetString() == "MaxLatency");
    }

    [Fact]
    public void A_malformed_budget_is_SLM4006()
    {
        var result = Prepare(Model(("precision", "int4"), ("blockSize", "16"), ("maxLatency", "fast")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("SlmModel 'Linear': MaxLatency=\"fast\" is not a budget: give a time such as 15ms or 0.5s, or none.", Assert.Single(result.Diagnostics)[4]);
    }

    [Fact]
    public void The_gate_and_budget_settings_are_the_ones_the_validation_engine_names()
    {
        // The worker reads them by setting (src/Shared cannot reference SlmOps.Validation): the names must agree.
        Assert.Equal(ValidationGates.Names, ModelSettings.Gates.Select(s => s.Metadata));
        Assert.Equal(ValidationBudgets.Names, new[] { ModelSettings.MaxModelSize, ModelSettings.MaxLoadTime, ModelSettings.MaxLatency, ModelSettings.MaxMemory }.Select(s => s.Metadata));
    }
}
