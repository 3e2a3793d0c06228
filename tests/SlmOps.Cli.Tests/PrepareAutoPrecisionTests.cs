using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

/// <summary><c>Precision="auto"</c> in <c>slmops prepare</c>: the smallest candidate that passes every check ships, and the manifest says what was tried.</summary>
public sealed class PrepareAutoPrecisionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Request => _temp.Combine("request.json");

    private CliRunner.Result Prepare(RequestModel model)
    {
        RequestModel.WriteRequest(Request, false, model);
        return CliRunner.Run(["prepare", Request]);
    }

    private static JsonElement Manifest(RequestModel model) => JsonDocument.Parse(File.ReadAllText(model.ManifestPath)).RootElement;

    private static List<(string Candidate, long Bytes, bool Passed)> Explored(JsonElement manifest) =>
        manifest.GetProperty("auto").GetProperty("explored").EnumerateArray()
            .Select(t => (t.GetProperty("candidate").GetString()!, t.GetProperty("bytes").GetInt64(), t.GetProperty("passed").GetBoolean())).ToList();

    /// <summary>The progress lines the search prints, one per candidate: <c>SlmOps: Dense (linux-x64): auto: int4, …</c>.</summary>
    private static List<string> Tried(CliRunner.Result result, string name) =>
        result.Out.Split('\n').Where(l => l.StartsWith($"SlmOps: {name} (linux-x64): auto: ", StringComparison.Ordinal) && !l.Contains(": chose ", StringComparison.Ordinal) && !l.Contains(": no candidate", StringComparison.Ordinal)).ToList();

    /// <summary>A 128 × 64 dense layer with Precision=auto, block 16.</summary>
    private RequestModel Dense(params (string Key, string Value)[] settings)
    {
        string folder = _temp.Combine("models");
        string source = Path.Combine(folder, "dense.onnx");
        if (!File.Exists(source)) OnnxModelFactory.Write(folder, "dense.onnx", OnnxModelFactory.CreateDense(128, 64));
        return new RequestModel(source, "Dense", _temp.Combine("obj"),
            Settings: new[] { ("precision", "auto"), ("blockSize", "16") }.Concat(settings).ToDictionary(s => s.Item1, s => s.Item2));
    }

    [Fact]
    public void MiniLm_on_the_56_texts_gets_a_mixed_int4_int8_variant_under_a_quarter_of_fp32_with_worst_cosine_099()
    {
        string texts = _temp.Combine("texts.txt");
        File.WriteAllLines(texts, AccuracyTexts.All);
        var model = new RequestModel(MiniLm.ModelPath, "MiniLm", _temp.Combine("obj"),
            Settings: new Dictionary<string, string> { ["precision"] = "auto", ["sampleData"] = texts, ["tokenizer"] = MiniLm.VocabPath });

        var result = Prepare(model);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        var manifest = Manifest(model);
        long source = manifest.GetProperty("source").GetProperty("size").GetInt64();
        long variant = new FileInfo(model.VariantModelPath).Length;
        Assert.True(variant <= source / 4, $"{variant:N0} bytes is over a quarter of {source:N0}");
        var auto = manifest.GetProperty("auto");
        string chosen = auto.GetProperty("chosen").GetString()!;
        Assert.Matches(@"^int4 \+ \d+/\d+ int8$", chosen);
        // The search starts from int4 everywhere (too inaccurate on MiniLM), then int8 everywhere (accurate, too big).
        var explored = Explored(manifest);
        Assert.Equal(("int4", false), (explored[0].Candidate, explored[0].Passed));
        Assert.Equal(("int8-weight + embeddings", true), (explored[1].Candidate, explored[1].Passed));
        Assert.Contains(explored, t => t.Candidate == chosen && t.Passed && t.Bytes == variant);
        Assert.Equal(explored.Count, Tried(result, "MiniLm").Count);
        int kept = auto.GetProperty("int8Layers").GetArrayLength();
        Assert.Equal(int.Parse(chosen.Split(' ', '/')[2], System.Globalization.CultureInfo.InvariantCulture), kept);
        // Embedding models are held to the pooled cosine alone under auto.
        var gate = Assert.Single(manifest.GetProperty("validation").GetProperty("gates").EnumerateArray());
        Assert.Equal(("MinCosine", 0.99, true), (gate.GetProperty("gate").GetString(), gate.GetProperty("threshold").GetDouble(), gate.GetProperty("passed").GetBoolean()));
        Assert.InRange(gate.GetProperty("measured").GetDouble(), 0.99, 1);
        Assert.Equal("int4", manifest.GetProperty("precision").GetString());
        Assert.Contains($"{kept} layers int8", manifest.GetProperty("quantization").GetProperty("settings").GetString(), StringComparison.Ordinal);
        Assert.StartsWith($"SlmOps: MiniLm (linux-x64): auto: {chosen}, 90.9 MB -> ", Assert.Single(result.Summaries), StringComparison.Ordinal);
        // No candidate's files are left; the tokenizer ships beside the variant.
        Assert.Equal([model.VariantDirectory + "tokenizer"], Directory.EnumerateDirectories(model.VariantDirectory));
        // int8 compute unless AccuracyLevel says otherwise: ONNX Runtime's 8-bit MatMulNBits is slow with float compute.
        using var variantModel = SlmOps.Onnx.OnnxModelLoader.Load(model.VariantModelPath);
        var matMuls = variantModel.Proto.Graph.Node.Where(n => n.OpType == "MatMulNBits").ToList();
        Assert.NotEmpty(matMuls);
        Assert.All(matMuls, n => Assert.Equal(4, n.Attribute.Single(a => a.Name == "accuracy_level").I));
    }

    [Fact]
    public void A_causal_LM_is_held_to_top1_agreement_and_perplexity_on_its_text_samples()
    {
        string source = CausalLmFactory.Write(_temp.CreateDirectory("lm"), CausalLmFactory.Create(trainingTexts: AccuracyTexts.All.Take(28)));
        string texts = _temp.Combine("texts.txt");
        File.WriteAllLines(texts, AccuracyTexts.All.Skip(28));
        var model = new RequestModel(source, "TinyLm", _temp.Combine("obj"),
            Settings: new Dictionary<string, string> { ["precision"] = "auto", ["blockSize"] = "16", ["sampleData"] = texts });

        var result = Prepare(model);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        var manifest = Manifest(model);
        var explored = Explored(manifest);
        Assert.Equal(("int4", false), (explored[0].Candidate, explored[0].Passed));
        Assert.Contains(explored, t => t.Candidate == manifest.GetProperty("auto").GetProperty("chosen").GetString() && t.Passed);
        var gates = manifest.GetProperty("validation").GetProperty("gates").EnumerateArray().ToList();
        Assert.Equal(["MaxPerplexityIncrease", "MinTop1Agreement"], gates.Select(g => g.GetProperty("gate").GetString()).Order());
        Assert.All(gates, g => Assert.Equal("logits", g.GetProperty("subject").GetString()));
        Assert.Equal("causal-lm", manifest.GetProperty("validation").GetProperty("kind").GetString());
    }

    [Fact]
    public void The_smallest_candidate_that_passes_ships_and_a_second_build_reuses_it_without_searching()
    {
        var model = Dense(("maxRelativeError", "100%"));

        var first = Prepare(model);

        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        var manifest = Manifest(model);
        Assert.Equal("int4", manifest.GetProperty("auto").GetProperty("chosen").GetString());
        Assert.Equal("int4", Assert.Single(Explored(manifest)).Candidate);
        Assert.Empty(manifest.GetProperty("auto").GetProperty("int8Layers").EnumerateArray());
        Assert.Single(Tried(first, "Dense"));
        byte[] bytes = File.ReadAllBytes(model.VariantModelPath);
        string auto = manifest.GetProperty("auto").GetRawText();

        var second = Prepare(model);

        Assert.True(second.ExitCode == 0, second.Out + second.Error);
        Assert.Empty(Tried(second, "Dense"));
        Assert.Contains("unchanged; validating it again", second.Out, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(model.VariantModelPath));
        var again = Manifest(model);
        Assert.Equal(auto, again.GetProperty("auto").GetRawText());
        Assert.Equal("int4", again.GetProperty("precision").GetString());
        Assert.True(again.GetProperty("validation").GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void A_gate_no_quantized_candidate_meets_climbs_to_fp32_a_copy_and_changing_the_gate_searches_again()
    {
        var strict = Dense(("maxRelativeError", "0.0001%"));

        var result = Prepare(strict);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        var manifest = Manifest(strict);
        Assert.Equal(["int4", "int8-weight", "fp16", "fp32"], Explored(manifest).Select(t => t.Candidate));
        Assert.Equal([false, false, false, true], Explored(manifest).Select(t => t.Passed));
        Assert.Equal("fp32", manifest.GetProperty("precision").GetString());
        Assert.Equal(File.ReadAllBytes(strict.Source), File.ReadAllBytes(strict.VariantModelPath));

        var loose = Dense(("maxRelativeError", "100%"));
        var again = Prepare(loose);

        Assert.True(again.ExitCode == 0, again.Out + again.Error);
        Assert.Single(Tried(again, "Dense"));
        Assert.Equal("int4", Manifest(loose).GetProperty("auto").GetProperty("chosen").GetString());
    }

    [Fact]
    public void When_no_candidate_passes_the_build_fails_with_the_checks_of_the_most_accurate_one()
    {
        var model = Dense(("maxModelSize", "0.0001"));

        var result = Prepare(model);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["int4", "int8-weight", "fp16", "fp32"], Tried(result, "Dense").Select(l => l.Split(": auto: ")[1].Split(',')[0]));
        Assert.Contains("SlmOps: Dense (linux-x64): auto: no candidate passes every check", result.Out, StringComparison.Ordinal);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("error", "SLM4011"), (error[1], error[2]));
        Assert.StartsWith("SlmModel 'Dense' (linux-x64, auto: fp32): MaxModelSize", error[4], StringComparison.Ordinal);
        Assert.False(File.Exists(model.ManifestPath));
    }

    [Fact]
    public void On_a_model_too_small_to_gain_from_quantizing_the_original_ships()
    {
        string source = OnnxModelFactory.Write(_temp.Combine("tiny"), "linear.onnx");
        var model = new RequestModel(source, "Linear", _temp.Combine("obj"),
            Settings: new Dictionary<string, string> { ["precision"] = "auto", ["blockSize"] = "16", ["maxRelativeError"] = "100%" });

        var result = Prepare(model);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("SlmOps: Linear (linux-x64): auto: int4, ", result.Out, StringComparison.Ordinal);
        Assert.Contains("passed, but not smaller than the original", result.Out, StringComparison.Ordinal);
        var manifest = Manifest(model);
        Assert.Equal("fp32", manifest.GetProperty("auto").GetProperty("chosen").GetString());
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(model.VariantModelPath));
    }

    [Fact]
    public void Auto_with_validation_off_is_SLM4006()
    {
        var model = Dense(("validationMode", "off"));

        var result = Prepare(model);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("error", "SLM4006"), (error[1], error[2]));
        Assert.Contains("Precision=\"auto\" chooses the precision by validating candidates", error[4], StringComparison.Ordinal);
        Assert.False(File.Exists(model.VariantModelPath));
    }
}
