using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private (string Original, string Variant) Quantized(string precision)
    {
        string original = OnnxModelFactory.Write(_temp.FullPath);
        string variant = _temp.Combine(precision + ".onnx");
        Assert.Equal(0, CliRunner.Run(["quantize", original, variant, "-p", precision, "--block-size", "16"]).ExitCode);
        return (original, variant);
    }

    [Fact]
    public void A_variant_within_its_gates_passes_with_exit_code_0_and_a_summary()
    {
        var (original, variant) = Quantized("int8-weight");

        var result = CliRunner.Run(["validate", original, variant, "-p", "int8-weight"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Contains("Runtime    ONNX Runtime 1.31.1, 1 synthesized sample, kind generic", result.Out);
        Assert.Matches(@"Gate       MaxRelativeError \(y\) [0-9.]+ <= 0\.1000: pass", result.Out);
        Assert.Contains("Result     pass", result.Out);
    }

    [Fact]
    public void A_decoder_with_an_attention_mask_over_past_and_new_tokens_validates_on_a_synthesized_sample()
    {
        // Regression: the synthesized sample gave the KV cache and the attention mask independent lengths (past 16 +
        // sequence 16 against a mask of 16), and ONNX Runtime could not run a real decoder on it (SLM4002).
        string original = OnnxModelFactory.Write(_temp.CreateDirectory("decoder"), "model.onnx", DecoderFactory.Create());
        string variant = _temp.Combine("decoder-int8.onnx");
        Assert.Equal(0, CliRunner.Run(["quantize", original, variant, "-p", "int8-weight", "--block-size", "16"]).ExitCode);

        var result = CliRunner.Run(["validate", original, variant, "-p", "int8-weight"]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("1 synthesized sample, kind causal-lm", result.Out);
    }

    [Fact]
    public void A_causal_LM_on_text_samples_reports_its_perplexity_and_is_held_to_MaxPerplexityIncrease()
    {
        // Fitted to the first half of the texts and evaluated on the second.
        string original = CausalLmFactory.Write(_temp.CreateDirectory("lm"), CausalLmFactory.Create(trainingTexts: AccuracyTexts.All.Take(28)));
        string int8 = _temp.Combine("lm-int8.onnx"), int4 = _temp.Combine("lm-int4.onnx");
        Assert.Equal(0, CliRunner.Run(["quantize", original, int8, "-p", "int8-weight", "--block-size", "16"]).ExitCode);
        Assert.Equal(0, CliRunner.Run(["quantize", original, int4, "-p", "int4", "--block-size", "16"]).ExitCode);
        string texts = _temp.Combine("texts.txt");
        File.WriteAllLines(texts, AccuracyTexts.All.Skip(28));

        var passed = CliRunner.Run(["validate", original, int8, "-p", "int8-weight", "--samples", texts]);
        var failed = CliRunner.Run(["validate", original, int4, "-p", "int4", "--samples", texts]);

        Assert.True(passed.ExitCode == 0, passed.Out + passed.Error);
        Assert.Contains("kind causal-lm", passed.Out);
        Assert.Matches(@"Perplexity [0-9.]+ -> [0-9.]+ \([+-][0-9.]+%\) over \d+ next tokens", passed.Out);
        Assert.Matches(@"Gate       MaxPerplexityIncrease \(logits\) -?[0-9.]+ <= 0\.0200: pass", passed.Out);
        Assert.True(failed.ExitCode == 1, failed.Out);
        Assert.Matches(@"error SLM4010: .*: MaxPerplexityIncrease of 'logits' is [0-9.]+, above the gate's 0\.1\.", failed.Error);
    }

    [Fact]
    public void A_failed_gate_is_exit_code_1_with_an_SLM4010_line_naming_the_variant_the_value_and_the_threshold()
    {
        var (original, variant) = Quantized("int4");

        var result = CliRunner.Run(["validate", original, variant, "--gate", "MaxRelativeError=0.01%"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches($@"^error SLM4010: {System.Text.RegularExpressions.Regex.Escape(variant)}: MaxRelativeError of 'y' is [0-9.]+, above the gate's 0\.0001\.\n$", result.Error);
        Assert.Contains("Result     FAIL (1 check)", result.Out);
    }

    [Fact]
    public void Json_has_the_drift_of_every_output_the_gates_and_the_failures()
    {
        var (original, variant) = Quantized("int4");

        var result = CliRunner.Run(["validate", original, variant, "--json", "--gate", "MaxRelativeError=none"]);

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        JsonElement y = json.RootElement.GetProperty("outputs")[0];
        Assert.Equal("y", y.GetProperty("name").GetString());
        Assert.True(y.GetProperty("relativeError").GetDouble() > 0);
        Assert.Equal(0, json.RootElement.GetProperty("gates").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("failures").GetArrayLength());
        Assert.Equal("generic", json.RootElement.GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("Foo=1", "'Foo' is not a validation gate; the gates are MinCosine, MaxRelativeError, MinTop1Agreement, MaxPerplexityIncrease.")]
    [InlineData("MinCosine", "--gate 'MinCosine' is not Name=Value, such as MinCosine=0.99.")]
    [InlineData("MinCosine=high", "MinCosine=\"high\" is not a threshold")]
    public void A_malformed_gate_is_a_usage_error(string gate, string message)
    {
        var (original, variant) = Quantized("int4");

        var result = CliRunner.Run(["validate", original, variant, "--gate", gate]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public void A_variant_ONNX_Runtime_cannot_load_is_SLM4001()
    {
        string original = OnnxModelFactory.Write(_temp.FullPath);
        var model = OnnxModelFactory.CreateLinear();
        model.IrVersion = 14;
        string variant = OnnxModelFactory.Write(_temp.FullPath, "ir14.onnx", model);

        var result = CliRunner.Run(["validate", original, variant]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error SLM4001: {variant}: ONNX Runtime 1.31.1 cannot load the model", result.Error);
    }
    // The worker carries ONNX Runtime's managed library only; these run it as the SDK does, in its own process, where
    // the native library is not beside it and must come from the NuGet cache or SLMOPS_ONNXRUNTIME_NATIVE_DIR.
    [Fact]
    public void Without_the_native_library_in_the_NuGet_cache_the_worker_says_SLM4000_and_where_it_looked()
    {
        var (original, variant) = Quantized("int8-weight");
        string emptyCache = Directory.CreateDirectory(_temp.Combine("empty-nuget-cache")).FullName;

        var (exitCode, error) = RunWorker(["validate", original, variant, "-p", "int8-weight"], emptyCache, nativeDirectory: null);

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"error SLM4000: ONNX Runtime's native library for {RuntimeInformation.RuntimeIdentifier} is not beside the program", error);
        Assert.Contains(Path.Combine(emptyCache, "microsoft.ml.onnxruntime", "1.31.1", "runtimes", RuntimeInformation.RuntimeIdentifier, "native"), error);
        Assert.Contains("SLMOPS_ONNXRUNTIME_NATIVE_DIR", error);
    }

    [Fact]
    public void SLMOPS_ONNXRUNTIME_NATIVE_DIR_gives_the_worker_the_native_library()
    {
        var (original, variant) = Quantized("int8-weight");
        string emptyCache = Directory.CreateDirectory(_temp.Combine("empty-nuget-cache")).FullName;
        string natives = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");

        var (exitCode, error) = RunWorker(["validate", original, variant, "-p", "int8-weight"], emptyCache, natives);

        Assert.Equal("", error);
        Assert.Equal(0, exitCode);
    }

    private static (int ExitCode, string Error) RunWorker(string[] args, string nugetPackages, string? nativeDirectory)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "slmops.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["NUGET_PACKAGES"] = nugetPackages;
        start.Environment.Remove("SLMOPS_ONNXRUNTIME_NATIVE_DIR");
        if (nativeDirectory is not null) start.Environment["SLMOPS_ONNXRUNTIME_NATIVE_DIR"] = nativeDirectory;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        _ = output.Result;
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }

    [Fact]
    public void Samples_from_a_text_file_are_tokenized_with_the_vocabulary_and_a_bad_file_is_SLM4007()
    {
        string texts = _temp.Combine("texts.txt");
        File.WriteAllLines(texts, AccuracyTexts.All.Take(12));
        string variant = _temp.Combine("int8w.onnx");
        Assert.Equal(0, CliRunner.Run(["quantize", MiniLm.ModelPath, variant, "-p", "int8-weight"]).ExitCode);

        var result = CliRunner.Run(["validate", MiniLm.ModelPath, variant, "-p", "int8-weight", "--samples", texts, "--tokenizer", MiniLm.VocabPath]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("Runtime    ONNX Runtime 1.31.1, 2 samples, kind embedding", result.Out);

        var bad = CliRunner.Run(["validate", MiniLm.ModelPath, variant, "--samples", _temp.Combine("none.txt")]);
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith($"error SLM4007: {_temp.Combine("none.txt")}: The sample data does not exist.", bad.Error);
    }
}
