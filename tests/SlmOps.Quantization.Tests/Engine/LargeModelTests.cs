using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Testing;

namespace SlmOps.Quantization.Tests.Engine;

/// <summary>
/// A generated 4.3 GB external-data model (16 × 8192 × 8192 float weights) through `slmops quantize` as a separate
/// process, so its peak RSS is its own. Slow (minutes, 5 GB of disk): excluded from the default run by
/// tests.runsettings; run with <c>dotnet test --filter Category=Slow</c>.
/// </summary>
[Trait("Category", "Slow")]
public sealed class LargeModelTests : IDisposable
{
    private readonly TempDirectory _temp = new("slmops-large");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_4_GB_external_data_model_quantizes_to_int4_within_0_15x_its_size_in_RSS_and_runs()
    {
        string model = LargeModelFactory.Write(_temp.CreateDirectory("in"), 16, 8192, 8192);
        long size = new FileInfo(model).Length + new FileInfo(model + ".data").Length;
        Assert.True(size > 4_000_000_000);
        string output = _temp.Combine("out", "large.int4.onnx");

        long peak = RunQuantize(model, output, "int4");

        Assert.True(peak < 0.15 * size, $"peak RSS {peak:N0} bytes is {(double)peak / size:0.000}x the model size");
        var x = Enumerable.Range(0, 8192).Select(i => MathF.Sin(i * 0.01f)).ToArray();
        float[] expected = Run(model, x), actual = Run(output, x);
        double num = expected.Zip(actual).Sum(p => Math.Pow(p.First - p.Second, 2)), den = expected.Sum(v => (double)v * v);
        Assert.True(Math.Sqrt(num / den) < 0.1, $"relative error {Math.Sqrt(num / den)}");
    }

    [Fact]
    public void A_4_GB_model_written_as_fp16_goes_to_one_external_data_file()
    {
        string model = LargeModelFactory.Write(_temp.CreateDirectory("in16"), 16, 8192, 8192);
        long size = new FileInfo(model).Length + new FileInfo(model + ".data").Length;
        string output = _temp.Combine("out16", "large.fp16.onnx");

        long peak = RunQuantize(model, output, "fp16");

        Assert.True(peak < 0.15 * size, $"peak RSS {peak:N0} bytes is {(double)peak / size:0.000}x the model size");
        Assert.True(File.Exists(output + ".data"), "a 2.1 GB fp16 model needs external data");
        Assert.Equal(["large.fp16.onnx", "large.fp16.onnx.data"], Directory.GetFiles(_temp.Combine("out16")).Select(Path.GetFileName).Order());
    }

    private long RunQuantize(string input, string output, string precision)
    {
        string slmops = Path.Combine(AppContext.BaseDirectory, "slmops.dll");
        string rss = _temp.Combine("rss-" + precision + ".txt");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "exec", slmops, "quantize", input, output, "--precision", precision }) start.ArgumentList.Add(arg);
        start.Environment["SLMOPS_PEAK_RSS_FILE"] = rss;
        using var process = Process.Start(start)!;
        string log = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, log);
        return long.Parse(File.ReadAllText(rss), CultureInfo.InvariantCulture);
    }

    private static float[] Run(string path, float[] x)
    {
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [1, x.Length]);
        using var results = session.Run(new RunOptions(), ["x"], [input], ["y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
