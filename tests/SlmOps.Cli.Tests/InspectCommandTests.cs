using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

public sealed class InspectCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Inspect_prints_a_table_of_io_operators_and_initializers()
    {
        string model = OnnxModelFactory.Write(_temp.FullPath);

        var result = CliRunner.Run(["inspect", model]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Matches(@"\n  x\s+float\s+\[batch, 4\]\n", result.Out);
        Assert.Matches(@"\n  y\s+float\s+\[batch, 3\]\n", result.Out);
        Assert.Matches(@"\n  ai\.onnx:MatMul\s+1\n", result.Out);
        Assert.Contains("Initializers (2, 60 B)", result.Out);
        Assert.Contains("IR version   8", result.Out);
    }

    [Fact]
    public void Inspect_json_is_camel_case_with_shapes_as_numbers_and_symbols()
    {
        string model = OnnxModelFactory.WriteWithExternalData(_temp.FullPath);

        var result = CliRunner.Run(["inspect", model, "--json"]);

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.Equal(8, root.GetProperty("irVersion").GetInt64());
        Assert.Equal("generic", root.GetProperty("detectedKind").GetString());
        var input = root.GetProperty("inputs")[0];
        Assert.Equal("x", input.GetProperty("name").GetString());
        Assert.Equal("float", input.GetProperty("elementType").GetString());
        Assert.Equal("[\"batch\",4]", JsonSerializer.Serialize(input.GetProperty("shape")));
        Assert.Equal(60, root.GetProperty("initializerBytes").GetInt64());
        Assert.Equal("weights/w.bin", root.GetProperty("externalDataFiles")[0].GetProperty("path").GetString());
        Assert.Equal("ai.onnx", root.GetProperty("opsets")[0].GetProperty("domain").GetString());
    }

    [Fact]
    public void Inspect_of_a_missing_file_prints_the_code_and_path_and_exits_1()
    {
        string missing = _temp.Combine("missing.onnx");

        var result = CliRunner.Run(["inspect", missing]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error SLM2001: {missing}: ", result.Error);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Inspect_of_a_text_file_is_SLM2002()
    {
        string path = _temp.Combine("notes.onnx");
        File.WriteAllText(path, "not a model");

        var result = CliRunner.Run(["inspect", path]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error SLM2002: {path}: ", result.Error);
    }

    [Fact]
    public void Inspect_appends_to_the_invocation_log()
    {
        string model = OnnxModelFactory.Write(_temp.FullPath);
        string log = _temp.Combine("logs", "invocations.log");

        CliRunner.Run(["inspect", model], new Dictionary<string, string> { ["SLMOPS_INVOCATION_LOG"] = log });

        Assert.Equal([$"inspect {model}"], File.ReadAllLines(log));
    }

    [Fact]
    public void Unknown_command_is_a_usage_error()
    {
        var result = CliRunner.Run(["frobnicate"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("frobnicate", result.Error);
    }

    [Fact]
    public void Version_option_prints_a_version()
    {
        var result = CliRunner.Run(["--version"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+", result.Out);
        Assert.StartsWith("0.1.0", Program.ToolVersion);
    }
}

public sealed class DiagnosticWriterTests
{
    [Fact]
    public void Diagnostic_lines_have_five_tab_separated_fields_without_inner_tabs_or_breaks()
    {
        var output = new StringWriter { NewLine = "\n" };
        var writer = new DiagnosticWriter(output);

        writer.Error("SLM2002", "/m/a.onnx", "first\tline\r\nsecond\nthird");
        writer.Warning("SLM4001", "/m/b.onnx", "careful");

        Assert.Equal("##slmops\terror\tSLM2002\t/m/a.onnx\tfirst line second third\n##slmops\twarning\tSLM4001\t/m/b.onnx\tcareful\n", output.ToString());
        Assert.Equal(1, writer.ErrorCount);
    }
}
