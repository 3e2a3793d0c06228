using System.Security.Cryptography;
using System.Text.Json;
using SlmOps.Contracts;
using SlmOps.Onnx;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

public sealed class PrepareCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Obj => _temp.Combine("obj");

    private string Request => _temp.Combine("request.json");

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string[] Deps(RequestModel model, string kind) =>
        File.ReadAllLines(model.DepsPath).Where(l => l.StartsWith(kind + "\t", StringComparison.Ordinal)).Select(l => l[(kind.Length + 1)..]).ToArray();

    [Fact]
    public void Prepare_MiniLm_writes_contract_variant_manifest_and_deps()
    {
        var model = new RequestModel(MiniLm.ModelPath, "MiniLm", Obj);
        RequestModel.WriteRequest(Request, false, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Empty(result.Diagnostics);
        Assert.Matches(@"^SlmOps: MiniLm \(linux-x64\): fp32, 90\.9 MB -> 91\.2 MB, validated: p50 \d+\.\d ms, \d+\.\d\d s$", Assert.Single(result.Summaries));

        string sha = Sha256(MiniLm.ModelPath);
        Assert.Equal(sha, Sha256(model.VariantModelPath));

        var contract = ContractJson.Read(File.ReadAllText(model.ContractPath));
        var expected = OnnxModelLoader.Load(MiniLm.ModelPath).Inspect().ToContract("MiniLm", "App.Models", "auto");
        Assert.Equal(expected, contract);
        Assert.Equal(("embedding", sha), (contract.Kind, contract.SourceSha256));

        using var manifest = JsonDocument.Parse(File.ReadAllText(model.ManifestPath));
        var root = manifest.RootElement;
        Assert.Equal(("MiniLm", "embedding", "linux-x64", "fp32"),
            (root.GetProperty("name").GetString(), root.GetProperty("kind").GetString(), root.GetProperty("target").GetString(), root.GetProperty("precision").GetString()));
        Assert.Equal("models/model.onnx", root.GetProperty("source").GetProperty("path").GetString());
        Assert.Equal(sha, root.GetProperty("source").GetProperty("sha256").GetString());
        Assert.Equal(MiniLm.ModelLength, root.GetProperty("source").GetProperty("size").GetInt64());
        var files = root.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(("model.onnx", sha, MiniLm.ModelLength), (files[0].GetProperty("path").GetString(), files[0].GetProperty("sha256").GetString(), files[0].GetProperty("size").GetInt64()));
        // The WordPiece vocabulary beside the model ships with the variant, for the runtime's tokenizer.
        Assert.Equal(2, files.Count);
        Assert.Equal(("tokenizer/vocab.txt", AtomicFile.Sha256Of(MiniLm.VocabPath)), (files[1].GetProperty("path").GetString(), files[1].GetProperty("sha256").GetString()));
        Assert.Equal(File.ReadAllBytes(MiniLm.VocabPath), File.ReadAllBytes(model.VariantDirectory + "tokenizer/vocab.txt"));
        Assert.Equal(Program.ToolVersion, root.GetProperty("tool").GetProperty("version").GetString());
        // A copy is checked on its own: it loads and runs in ONNX Runtime; there is no drift, so no gate.
        var validation = root.GetProperty("validation");
        Assert.Equal(("error", true, "1.31.1", "embedding", 1, true),
            (validation.GetProperty("mode").GetString(), validation.GetProperty("passed").GetBoolean(), validation.GetProperty("onnxRuntime").GetString(),
             validation.GetProperty("kind").GetString(), validation.GetProperty("samples").GetInt32(), validation.GetProperty("synthesized").GetBoolean()));
        Assert.Empty(validation.GetProperty("gates").EnumerateArray());
        Assert.False(validation.TryGetProperty("latencyMs", out _));
        using (var measurements = JsonDocument.Parse(File.ReadAllText(model.VariantDirectory + "slmops.measurements.json")))
            Assert.True(measurements.RootElement.GetProperty("latencyMs").GetProperty("p50").GetDouble() > 0);

        Assert.Equal([MiniLm.ModelPath, MiniLm.VocabPath], Deps(model, "in"));
        Assert.Equal([model.ContractPath, model.VariantModelPath, model.VariantKeyPath, model.VariantDirectory + "tokenizer/vocab.txt", model.ManifestPath, model.VariantDirectory + "slmops.measurements.json", model.DepsPath], Deps(model, "out"));
    }

    [Theory]
    [InlineData("FP32")]
    [InlineData(" Fp32 ")]
    public void Fp32_in_any_spelling_is_a_byte_copy_not_a_rewrite(string precision)
    {
        // Regression: the worker compared "fp32" case-sensitively, so "FP32" went through the rewriting writer.
        string source = OnnxModelFactory.Write(_temp.Combine("models"));
        var model = new RequestModel(source, "Linear", Obj, Settings: new Dictionary<string, string> { ["precision"] = precision });
        RequestModel.WriteRequest(Request, false, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(model.VariantModelPath));
        using var manifest = JsonDocument.Parse(File.ReadAllText(model.ManifestPath));
        Assert.False(manifest.RootElement.TryGetProperty("quantization", out _));
    }

    [Fact]
    public void A_precision_quantizes_the_variant_and_the_manifest_says_so()
    {
        string source = OnnxModelFactory.Write(_temp.Combine("models"));
        var model = new RequestModel(source, "Linear", Obj, Settings: new Dictionary<string, string> { ["precision"] = "int4", ["blockSize"] = "16" });
        RequestModel.WriteRequest(Request, false, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains(OnnxModelLoader.Load(model.VariantModelPath).Proto.Graph.Node, n => n.OpType == "MatMulNBits");
        using var manifest = JsonDocument.Parse(File.ReadAllText(model.ManifestPath));
        var root = manifest.RootElement;
        Assert.Equal("int4", root.GetProperty("precision").GetString());
        Assert.Equal("int4 (MatMulNBits, block 16, symmetric)", root.GetProperty("quantization").GetProperty("settings").GetString());
        Assert.Equal(1, root.GetProperty("quantization").GetProperty("tensors").GetInt32());
        var file = Assert.Single(root.GetProperty("files").EnumerateArray());
        Assert.Equal(Sha256(model.VariantModelPath), file.GetProperty("sha256").GetString());
        Assert.Equal([source], Deps(model, "in"));
    }

    [Fact]
    public void A_qdq_ranges_file_is_an_input_and_a_bad_setting_is_SLM3001_leaving_nothing()
    {
        string source = OnnxModelFactory.Write(_temp.Combine("models"));
        string ranges = _temp.Combine("ranges.json");
        new SlmOps.Quantization.ActivationRanges([new("x", new SlmOps.Quantization.ActivationRange(-4f, 4f))]).Save(ranges);
        var model = new RequestModel(source, "Linear", Obj, Settings: new Dictionary<string, string> { ["precision"] = "qdq", ["calibrationRanges"] = ranges });
        RequestModel.WriteRequest(Request, false, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Equal([source, ranges], Deps(model, "in"));

        RequestModel.WriteRequest(Request, false, model with { Settings = new Dictionary<string, string> { ["precision"] = "int4", ["blockSize"] = "48" } });
        var bad = CliRunner.Run(["prepare", Request]);
        Assert.Equal(1, bad.ExitCode);
        var diagnostic = string.Join("\t", Assert.Single(bad.Diagnostics));
        Assert.Contains("\tSLM3001\t", diagnostic);
        Assert.Contains("Block size 48", diagnostic);
        Assert.False(File.Exists(model.VariantModelPath));
        Assert.False(File.Exists(model.ManifestPath));
    }

    [Fact]
    public void Prepare_copies_external_data_files_to_the_same_relative_paths()
    {
        string source = OnnxModelFactory.WriteWithExternalData(_temp.CreateDirectory("models"));
        var model = new RequestModel(source, "Linear", Obj);
        RequestModel.WriteRequest(Request, false, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        string w = Path.Combine(model.VariantDirectory, "weights", "w.bin");
        string b = Path.Combine(model.VariantDirectory, "b.bin");
        Assert.Equal(File.ReadAllBytes(_temp.Combine("models", "weights", "w.bin")), File.ReadAllBytes(w));
        Assert.Equal(File.ReadAllBytes(_temp.Combine("models", "b.bin")), File.ReadAllBytes(b));
        Assert.Equal(2, OnnxModelLoader.Load(model.VariantModelPath).ExternalDataFiles.Count);

        using var manifest = JsonDocument.Parse(File.ReadAllText(model.ManifestPath));
        var files = manifest.RootElement.GetProperty("files").EnumerateArray()
            .Select(f => (f.GetProperty("path").GetString(), f.GetProperty("sha256").GetString(), f.GetProperty("size").GetInt64())).ToArray();
        Assert.Equal([("model.onnx", Sha256(source), new FileInfo(source).Length), ("weights/w.bin", Sha256(w), 48L), ("b.bin", Sha256(b), 28L)], files);

        Assert.Equal([source, _temp.Combine("models", "weights", "w.bin"), _temp.Combine("models", "b.bin")], Deps(model, "in"));
        Assert.Equal([model.ContractPath, model.VariantModelPath, w, b, model.VariantKeyPath, model.ManifestPath, model.VariantDirectory + "slmops.measurements.json", model.DepsPath], Deps(model, "out"));
        Assert.Empty(Directory.GetFiles(model.VariantDirectory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Outputs_are_newer_than_the_source()
    {
        string source = OnnxModelFactory.Write(_temp.CreateDirectory("models"));
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddHours(-1));
        var model = new RequestModel(source, "Linear", Obj);
        RequestModel.WriteRequest(Request, false, model);

        CliRunner.Run(["prepare", Request]);

        Assert.All(Deps(model, "out"), path => Assert.True(File.GetLastWriteTimeUtc(path) > File.GetLastWriteTimeUtc(source), path));
    }

    [Fact]
    public void Sha256_mismatch_is_SLM2006_and_removes_earlier_outputs()
    {
        string source = OnnxModelFactory.Write(_temp.CreateDirectory("models"));
        var good = new RequestModel(source, "Linear", Obj, Sha256: Sha256(source).ToUpperInvariant());
        RequestModel.WriteRequest(Request, false, good);
        Assert.Equal(0, CliRunner.Run(["prepare", Request]).ExitCode);

        string wrong = new string('0', 64);
        RequestModel.WriteRequest(Request, false, good with { Sha256 = wrong });
        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(1, result.ExitCode);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(["##slmops", "error", "SLM2006", source], diagnostic[..4]);
        Assert.Contains(Sha256(source), diagnostic[4]);
        Assert.Contains(wrong, diagnostic[4]);
        Assert.False(File.Exists(good.ContractPath));
        Assert.Empty(Directory.GetFiles(good.VariantDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void One_bad_model_among_two_good_ones_fails_alone()
    {
        string models = _temp.CreateDirectory("models");
        var first = new RequestModel(OnnxModelFactory.Write(models, "first.onnx"), "First", Obj);
        string badPath = Path.Combine(models, "bad.onnx");
        File.WriteAllText(badPath, "definitely not protobuf");
        var bad = new RequestModel(badPath, "Bad", Obj);
        var third = new RequestModel(OnnxModelFactory.WriteWithExternalData(_temp.CreateDirectory("models", "third"), "third.onnx"), "Third", Obj, Kind: "generic");
        RequestModel.WriteRequest(Request, false, first, bad, third);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(1, result.ExitCode);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(["##slmops", "error", "SLM2002", badPath], diagnostic[..4]);
        foreach (var good in new[] { first, third })
        {
            Assert.True(File.Exists(good.ContractPath));
            Assert.True(File.Exists(good.VariantModelPath));
            Assert.True(File.Exists(good.ManifestPath));
            Assert.True(File.Exists(good.DepsPath));
        }
        Assert.False(Directory.Exists(bad.ModelDirectory) && Directory.EnumerateFiles(bad.ModelDirectory, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void Unsafe_external_data_is_reported_against_the_model_and_leaves_nothing()
    {
        string source = OnnxModelFactory.WriteWithExternalData(_temp.CreateDirectory("models"), mutate: m =>
            m.Graph.Initializer[0].ExternalData.Single(e => e.Key == "location").Value = "../../etc/passwd");
        var model = new RequestModel(source, "Evil", Obj);
        RequestModel.WriteRequest(Request, false, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["##slmops", "error", "SLM2004", source], Assert.Single(result.Diagnostics)[..4]);
        Assert.False(File.Exists(model.ContractPath));
    }

    [Fact]
    public void Design_time_writes_only_contract_and_deps()
    {
        string source = OnnxModelFactory.Write(_temp.CreateDirectory("models"));
        var model = new RequestModel(source, "Linear", Obj);
        RequestModel.WriteRequest(Request, true, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Equal(
            new[] { model.ContractPath, model.DepsPath }.Order(),
            Directory.GetFiles(model.ModelDirectory, "*", SearchOption.AllDirectories).Order());
        Assert.Equal([source], Deps(model, "in"));
        Assert.Equal([model.ContractPath, model.DepsPath], Deps(model, "out"));
        Assert.Equal("generic", ContractJson.Read(File.ReadAllText(model.ContractPath)).Kind);
    }

    [Fact]
    public void Design_time_keeps_an_earlier_variant_listed_for_clean()
    {
        string source = OnnxModelFactory.Write(_temp.CreateDirectory("models"));
        var model = new RequestModel(source, "Linear", Obj);
        RequestModel.WriteRequest(Request, false, model);
        CliRunner.Run(["prepare", Request]);

        RequestModel.WriteRequest(Request, true, model);
        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(0, result.ExitCode);
        Assert.True(File.Exists(model.VariantModelPath));
        Assert.Equal(
            new[] { model.ContractPath, model.VariantModelPath, model.VariantKeyPath, model.ManifestPath, model.VariantDirectory + "slmops.measurements.json", model.DepsPath }.Order(),
            Deps(model, "out").Order());
    }

    [Fact]
    public void Outputs_no_longer_produced_are_deleted()
    {
        string folder = _temp.CreateDirectory("models");
        string source = OnnxModelFactory.WriteWithExternalData(folder);
        var model = new RequestModel(source, "Linear", Obj);
        RequestModel.WriteRequest(Request, false, model);
        CliRunner.Run(["prepare", Request]);
        Assert.True(File.Exists(Path.Combine(model.VariantDirectory, "b.bin")));

        OnnxModelFactory.Write(folder, model: OnnxModelFactory.CreateLinear());
        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(0, result.ExitCode);
        Assert.False(File.Exists(Path.Combine(model.VariantDirectory, "b.bin")));
        Assert.False(File.Exists(Path.Combine(model.VariantDirectory, "weights", "w.bin")));
    }

    [Fact]
    public void Every_run_appends_one_line_to_the_invocation_log()
    {
        string models = _temp.CreateDirectory("models");
        var a = new RequestModel(OnnxModelFactory.Write(models, "a.onnx"), "A", Obj);
        var b = new RequestModel(OnnxModelFactory.Write(models, "b.onnx"), "B", Obj);
        RequestModel.WriteRequest(Request, false, a, b);
        string log = _temp.Combine("invocations.log");
        var environment = new Dictionary<string, string> { ["SLMOPS_INVOCATION_LOG"] = log };

        CliRunner.Run(["prepare", Request], environment);
        CliRunner.Run(["prepare", Request], environment);

        Assert.Equal(["prepare 2 A B", "prepare 2 A B"], File.ReadAllLines(log));
    }

    [Theory]
    [InlineData("this is { not json")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"models\": 5}")]
    [InlineData("{\"models\": [{\"source\": \"/x.onnx\"}]}")]
    [InlineData("{\"models\": [{\"source\": \"/x.onnx\", \"name\": \"X\", \"namespace\": \"N\", \"kind\": \"llm\", \"modelDirectory\": \"/o/\", \"variantDirectory\": \"/o/v/\"}]}")]
    [InlineData("{\"models\": [{\"source\": \"/x.onnx\", \"name\": \"X\", \"namespace\": \"N\", \"sha256\": \"abc\", \"modelDirectory\": \"/o/\", \"variantDirectory\": \"/o/v/\"}]}")]
    public void Malformed_request_is_SLM1005_with_exit_code_2(string content)
    {
        File.WriteAllText(Request, content);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(["##slmops", "error", "SLM1005", Request], Assert.Single(result.Diagnostics)[..4]);
    }

    [Fact]
    public void Missing_request_file_is_SLM1005()
    {
        var result = CliRunner.Run(["prepare", _temp.Combine("none.json")]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("SLM1005", Assert.Single(result.Diagnostics)[2]);
    }

    [Fact]
    public void Empty_request_succeeds_without_output()
    {
        File.WriteAllText(Request, "{\"designTime\": false, \"models\": []}");

        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Out);
    }
}
