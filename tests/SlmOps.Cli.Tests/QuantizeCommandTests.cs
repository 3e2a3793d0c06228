using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

public sealed class QuantizeCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Quantize_prints_a_summary_and_writes_the_model()
    {
        string model = OnnxModelFactory.Write(_temp.FullPath);
        string output = _temp.Combine("out", "linear.int8.onnx");

        var result = CliRunner.Run(["quantize", model, output, "--precision", "int8-weight", "--block-size", "16"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Contains("int8-weight (MatMulNBits, block 16, symmetric)", result.Out);
        Assert.Contains("Tensors    1 rewritten", result.Out);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void Quantize_json_lists_every_tensor_with_its_sparsity()
    {
        string model = OnnxModelFactory.Write(_temp.FullPath);
        string output = _temp.Combine("pruned.onnx");

        var result = CliRunner.Run(["quantize", model, output, "-p", "fp32", "--prune", "0.5", "--json"]);

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        var tensor = json.RootElement.GetProperty("tensors")[0];
        Assert.Equal("W", tensor.GetProperty("name").GetString());
        Assert.Equal(0.5, tensor.GetProperty("sparsity").GetDouble());
        Assert.Equal("fp32", json.RootElement.GetProperty("precision").GetString());
    }

    [Fact]
    public void Verbose_lists_nodes_left_as_is()
    {
        string model = OnnxModelFactory.Write(_temp.FullPath);

        var result = CliRunner.Run(["quantize", model, _temp.Combine("v.onnx"), "--exclude", "matmul", "-v"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("info: MatMul 'matmul' left as is: excluded by the include/exclude patterns.", result.Out);
        Assert.Contains("warning SLM3005:", result.Error);
    }

    [Fact]
    public void Qdq_reads_the_calibrated_ranges_file()
    {
        string model = OnnxModelFactory.Write(_temp.FullPath);
        string ranges = _temp.Combine("ranges.json");
        new SlmOps.Quantization.ActivationRanges(
        [
            new("x", new SlmOps.Quantization.ActivationRange(-4f, 4f)),
            new("xw", new SlmOps.Quantization.ActivationRange(-10f, 10f)),
        ]).Save(ranges);
        string output = _temp.Combine("linear.qdq.onnx");

        var result = CliRunner.Run(["quantize", model, output, "-p", "qdq", "--ranges", ranges, "--activation-type", "uint16"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("qdq (uint16 activations, int8 weights)", result.Out);
        var missing = CliRunner.Run(["quantize", model, _temp.Combine("no-ranges.onnx"), "-p", "qdq"]);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error SLM3001: ", missing.Error);
    }

    [Fact]
    public void Errors_are_coded_and_exit_non_zero()
    {
        string model = OnnxModelFactory.Write(_temp.FullPath);

        var overwrite = CliRunner.Run(["quantize", model, model]);
        Assert.Equal(1, overwrite.ExitCode);
        Assert.StartsWith("error SLM3007: ", overwrite.Error);

        var badBlock = CliRunner.Run(["quantize", model, _temp.Combine("b.onnx"), "--block-size", "48"]);
        Assert.Equal(1, badBlock.ExitCode);
        Assert.StartsWith("error SLM3001: Block size 48", badBlock.Error);

        var missing = CliRunner.Run(["quantize", _temp.Combine("missing.onnx"), _temp.Combine("m.onnx")]);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error SLM2001: ", missing.Error);

        var badPrecision = CliRunner.Run(["quantize", model, _temp.Combine("p.onnx"), "-p", "int3"]);
        Assert.Equal(2, badPrecision.ExitCode);
    }
}
