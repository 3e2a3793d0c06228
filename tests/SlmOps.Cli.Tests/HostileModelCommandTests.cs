using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

/// <summary>
/// The crafted models of <see cref="HostileModels"/> through every command that reads a model: each ends in its coded
/// error (never an unhandled exception, never a hang), and what is fine is handled.
/// </summary>
public sealed class HostileModelCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Request => _temp.Combine("request.json");

    public static TheoryData<string, string> RefusedByCommand()
    {
        var data = new TheoryData<string, string>();
        foreach (var (kind, code) in HostileModels.ExpectedCode)
        {
            if (code is null) continue;
            foreach (string command in new[] { "inspect", "quantize-int4", "quantize-fp32", "prepare-int4", "prepare-fp32" }) data.Add(kind, command);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RefusedByCommand))]
    public void Every_command_gives_the_same_coded_error_for_a_hostile_model(string kind, string command)
    {
        string source = HostileModels.Write(kind, _temp.CreateDirectory("models"));
        string code = HostileModels.ExpectedCode[kind]!;

        var result = RunWithin(command, source);

        Assert.Equal(1, result.ExitCode);
        if (command.StartsWith("prepare", StringComparison.Ordinal))
        {
            var diagnostic = Assert.Single(result.Diagnostics);
            Assert.Equal(("error", code), (diagnostic[1], diagnostic[2]));
            Assert.StartsWith(_temp.FullPath, diagnostic[3]);
            Assert.False(Directory.Exists(_temp.Combine("obj", "slm", "Model", "linux-x64")) &&
                Directory.EnumerateFiles(_temp.Combine("obj", "slm", "Model", "linux-x64"), "*", SearchOption.AllDirectories).Any());
        }
        else
        {
            Assert.StartsWith($"error {code}: {_temp.FullPath}", result.Error);
            Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.False(File.Exists(_temp.Combine("out", "model.onnx")));
        }
    }

    [Theory]
    [InlineData("quantize-int4")]
    [InlineData("quantize-int8")]
    [InlineData("prepare-int4")]
    [InlineData("prepare-fp32")]
    public void A_zero_size_weight_is_prepared_and_quantized(string command)
    {
        string source = HostileModels.Write("zero-size-weight", _temp.CreateDirectory("models"));

        var result = RunWithin(command, source);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
    }

    [Fact]
    public void Hard_linked_external_data_is_accepted_with_allow_hard_links_on_the_command_line_and_in_the_request()
    {
        string source = HostileModels.Write("hard-link-outside", _temp.CreateDirectory("models"));

        Assert.Equal(0, CliRunner.Run(["inspect", source, "--allow-hard-links"]).ExitCode);
        Assert.Equal(0, CliRunner.Run(["quantize", source, _temp.Combine("out", "model.onnx"), "--allow-hard-links"]).ExitCode);
        var model = new RequestModel(source, "Model", _temp.Combine("obj"), Settings: new Dictionary<string, string> { ["allowHardLinks"] = "true" });
        RequestModel.WriteRequest(Request, false, model);
        var prepared = CliRunner.Run(["prepare", Request]);
        Assert.True(prepared.ExitCode == 0, prepared.Out);
    }

    /// <summary>Names of the SDK's own files in a variant folder, in spellings that are the same file somewhere.</summary>
    [Theory]
    [InlineData("model.onnx")]
    [InlineData("manifest.json")]
    [InlineData("slmops.deps")]
    [InlineData("slmops.stamp")]
    [InlineData("MODEL.ONNX")]
    [InlineData("manifest.json.")]
    [InlineData("model.onnx/w.bin")]
    public void An_fp32_model_whose_external_data_takes_an_SDK_file_name_is_SLM2010_and_ships_nothing(string location)
    {
        string models = _temp.CreateDirectory("models");
        string source = OnnxModelFactory.WriteWithExternalData(models, "source.onnx", m =>
            OnnxModelFactory.MakeExternal(m.Graph.Initializer.Single(t => t.Name == "W"), location, 0, 48));
        string dataPath = Path.Combine(models, location);
        Directory.CreateDirectory(Path.GetDirectoryName(dataPath)!);
        File.WriteAllBytes(dataPath, OnnxModelFactory.FloatBytes(OnnxModelFactory.Weights));
        var model = new RequestModel(source, "Model", _temp.Combine("obj"));
        RequestModel.WriteRequest(Request, false, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(1, result.ExitCode);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(("SLM2010", source), (diagnostic[2], diagnostic[3]));
        Assert.False(File.Exists(model.VariantModelPath));
        Assert.False(File.Exists(model.ManifestPath));
        Assert.False(File.Exists(model.ContractPath));
    }

    [Fact]
    public void External_data_names_that_differ_only_in_case_are_SLM2010()
    {
        string models = _temp.CreateDirectory("models");
        string source = OnnxModelFactory.WriteWithExternalData(models, mutate: m =>
            OnnxModelFactory.MakeExternal(m.Graph.Initializer.Single(t => t.Name == "B"), "Weights/w.bin", 0, 12));
        Directory.CreateDirectory(Path.Combine(models, "Weights"));
        File.WriteAllBytes(Path.Combine(models, "Weights", "w.bin"), OnnxModelFactory.FloatBytes(OnnxModelFactory.Bias));
        RequestModel.WriteRequest(Request, false, new RequestModel(source, "Model", _temp.Combine("obj")));

        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal("SLM2010", Assert.Single(result.Diagnostics)[2]);
    }

    [Fact]
    public void An_int4_model_with_such_a_name_is_prepared_because_its_variant_has_its_own_data_file()
    {
        string models = _temp.CreateDirectory("models");
        string source = OnnxModelFactory.WriteWithExternalData(models, "source.onnx", m =>
            OnnxModelFactory.MakeExternal(m.Graph.Initializer.Single(t => t.Name == "W"), "manifest.json", 0, 48));
        File.WriteAllBytes(Path.Combine(models, "manifest.json"), OnnxModelFactory.FloatBytes(OnnxModelFactory.Weights));
        var model = new RequestModel(source, "Model", _temp.Combine("obj"), Settings: new Dictionary<string, string> { ["precision"] = "int4", ["blockSize"] = "16" });
        RequestModel.WriteRequest(Request, false, model);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.True(result.ExitCode == 0, result.Out);
        using var manifest = JsonDocument.Parse(File.ReadAllText(model.ManifestPath));
        Assert.Equal("Model", manifest.RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public void An_unexpected_exception_is_SLM1008_about_the_model_and_the_other_models_are_still_prepared()
    {
        ModelPreparer.FaultForTests = r => { if (r.Name == "Boom") throw new InvalidOperationException("injected"); };
        string good = OnnxModelFactory.Write(_temp.CreateDirectory("good"));
        string bad = OnnxModelFactory.Write(_temp.CreateDirectory("bad"));
        var boom = new RequestModel(bad, "Boom", _temp.Combine("obj"));
        var fine = new RequestModel(good, "Fine", _temp.Combine("obj"));
        RequestModel.WriteRequest(Request, false, boom, fine);

        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(1, result.ExitCode);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(("SLM1008", bad), (diagnostic[2], diagnostic[3]));
        Assert.Contains("InvalidOperationException: injected", diagnostic[4]);
        Assert.False(File.Exists(boom.ContractPath));
        Assert.True(File.Exists(fine.VariantModelPath));
    }

    [Fact]
    public void A_request_with_a_NUL_in_a_path_is_SLM1005()
    {
        File.WriteAllText(Request, """{ "models": [ { "source": "a\u0000b.onnx", "name": "A", "namespace": "N", "modelDirectory": "o", "variantDirectory": "o/v" } ] }""");

        var result = CliRunner.Run(["prepare", Request]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("SLM1005", Assert.Single(result.Diagnostics)[2]);
    }

    /// <summary>Runs one command on another thread, so a hang fails the test instead of stopping the run.</summary>
    private CliRunner.Result RunWithin(string command, string source)
    {
        string[] args = command switch
        {
            "inspect" => ["inspect", source],
            _ when command.StartsWith("quantize-", StringComparison.Ordinal) =>
                ["quantize", source, _temp.Combine("out", "model.onnx"), "--precision", command["quantize-".Length..], "--block-size", "16"],
            _ => ["prepare", WritePrepareRequest(source, command["prepare-".Length..])],
        };
        var run = Task.Run(() => CliRunner.Run(args));
        Assert.True(run.Wait(TimeSpan.FromSeconds(60)), $"slmops {string.Join(' ', args)} did not finish in 60 s.");
        return run.Result;
    }

    private string WritePrepareRequest(string source, string precision) =>
        RequestModel.WriteRequest(Request, false, new RequestModel(source, "Model", _temp.Combine("obj"),
            Settings: new Dictionary<string, string> { ["precision"] = precision, ["blockSize"] = "16" }));
}
