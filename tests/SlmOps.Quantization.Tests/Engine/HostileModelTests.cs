using SlmOps.Onnx;
using SlmOps.Testing;

namespace SlmOps.Quantization.Tests.Engine;

/// <summary>The engine on the crafted models of <see cref="HostileModels"/>: coded errors or a correct output, never an unhandled exception.</summary>
public sealed class HostileModelTests : IDisposable
{
    private readonly TempDirectory _temp = new("slmops-hostile");

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> AllPrecisions() => [.. QuantizationNames.Precisions.Where(p => p != "qdq")];

    [Theory]
    [MemberData(nameof(AllPrecisions))]
    public void A_zero_size_weight_is_left_as_is_with_a_reason(string precision)
    {
        string input = HostileModels.Write("zero-size-weight", _temp.CreateDirectory("in"));
        string output = _temp.Combine("out", "model.onnx");

        var result = ModelQuantizer.Quantize(input, output, new QuantizationOptions { Precision = QuantizationNames.ParsePrecision(precision) });

        Assert.Empty(result.Tensors);
        using var written = OnnxModelLoader.Load(output);
        Assert.Equal([0L, 32L], written.Proto.Graph.Initializer.Single(t => t.Name == "W").Dims);
        if (precision is not ("fp32" or "fp16")) Assert.Contains(result.Messages, m => m.Text.Contains("is empty ([0, 32])", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("huge-dims-no-data", "int4")]
    [InlineData("huge-dims-with-data", "int4")]
    [InlineData("huge-dims-with-data", "int8")]
    [InlineData("overflowing-dims-external", "fp32")]
    [InlineData("overflowing-dims-external", "fp16")]
    [InlineData("short-payload", "fp32")]
    [InlineData("short-external-length", "fp32")]
    public void A_model_whose_shapes_lie_is_a_coded_error_for_every_precision(string kind, string precision)
    {
        string input = HostileModels.Write(kind, _temp.CreateDirectory("in"));
        string output = _temp.Combine("out", "model.onnx");

        var ex = Assert.Throws<OnnxModelException>(() =>
            ModelQuantizer.Quantize(input, output, new QuantizationOptions { Precision = QuantizationNames.ParsePrecision(precision) }));

        Assert.Equal(HostileModels.ExpectedCode[kind], ex.Code);
        Assert.False(Directory.Exists(_temp.Combine("out")) && Directory.EnumerateFileSystemEntries(_temp.Combine("out")).Any());
    }
}
