using System.Text.Json;
using SlmOps.Quantization;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

/// <summary><c>slmops calibrate</c>: activation ranges from sample data, in the file <c>quantize --ranges</c> and <c>CalibrationRanges</c> read.</summary>
public sealed class CalibrateCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private (string Model, string Texts) LanguageModel()
    {
        string model = CausalLmFactory.Write(_temp.CreateDirectory("lm"), CausalLmFactory.Create(trainingTexts: AccuracyTexts.All.Take(28)));
        string texts = _temp.Combine("calibration.txt");
        File.WriteAllLines(texts, AccuracyTexts.All.Take(28));
        return (model, texts);
    }

    [Fact]
    public void Calibrated_ranges_cover_what_qdq_rewrites_and_quantize_turns_them_into_a_model_close_to_the_original()
    {
        var (model, texts) = LanguageModel();
        string ranges = _temp.Combine("ranges.json");

        var result = CliRunner.Run(["calibrate", model, ranges, "--samples", texts]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains($"Ranges     {ranges}", result.Out);
        Assert.Matches(@"Calibrated \d+ activations on 4 samples, minmax", result.Out);
        var read = ActivationRanges.Load(ranges);
        Assert.Equal(StaticQdq.ActivationsToCalibrate(model, new QuantizationOptions { Precision = Precision.Qdq }), read.Keys);
        Assert.Equal(4, read.Samples);

        string qdq = _temp.Combine("lm-qdq.onnx");
        Assert.Equal(0, CliRunner.Run(["quantize", model, qdq, "-p", "qdq", "--ranges", ranges, "--activation-type", "uint16"]).ExitCode);
        string evaluation = _temp.Combine("evaluation.txt");
        File.WriteAllLines(evaluation, AccuracyTexts.All.Skip(28));
        var validated = CliRunner.Run(["validate", model, qdq, "-p", "qdq", "--samples", evaluation]);
        Assert.True(validated.ExitCode == 0, validated.Out + validated.Error);
        Assert.Contains("Gate       MaxPerplexityIncrease (logits)", validated.Out);
    }

    [Fact]
    public void Percentile_clips_what_minmax_keeps_and_json_says_what_was_done()
    {
        var (model, texts) = LanguageModel();
        string minMax = _temp.Combine("minmax.json"), percentile = _temp.Combine("percentile.json");

        Assert.Equal(0, CliRunner.Run(["calibrate", model, minMax, "--samples", texts]).ExitCode);
        var result = CliRunner.Run(["calibrate", model, percentile, "--samples", texts, "--method", "percentile", "--percentile", "99", "--json"]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal((percentile, 4), (json.RootElement.GetProperty("ranges").GetString(), json.RootElement.GetProperty("samples").GetInt32()));
        Assert.StartsWith("percentile 99", json.RootElement.GetProperty("method").GetString(), StringComparison.Ordinal);
        var wide = ActivationRanges.Load(minMax);
        var clipped = ActivationRanges.Load(percentile);
        Assert.All(clipped, pair => Assert.True(pair.Value.Max <= wide[pair.Key].Max && pair.Value.Min >= wide[pair.Key].Min, pair.Key));
        Assert.Contains(clipped, pair => pair.Value.Max < wide[pair.Key].Max);
    }

    [Fact]
    public void Without_usable_samples_it_is_SLM4007_and_over_the_model_SLM3007_and_nothing_is_written()
    {
        var (model, _) = LanguageModel();
        string ranges = _temp.Combine("ranges.json");

        var missing = CliRunner.Run(["calibrate", model, ranges, "--samples", _temp.Combine("nope.txt")]);
        var over = CliRunner.Run(["calibrate", model, model, "--samples", _temp.Combine("nope.txt")]);
        var none = CliRunner.Run(["calibrate", model, ranges]);

        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error SLM4007: ", missing.Error, StringComparison.Ordinal);
        Assert.Equal(1, over.ExitCode);
        Assert.StartsWith("error SLM3007: ", over.Error, StringComparison.Ordinal);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--samples", none.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(ranges));
        Assert.Empty(Directory.EnumerateFiles(_temp.FullPath, "*.tmp", SearchOption.AllDirectories));
    }
}
