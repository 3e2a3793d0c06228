using System.Buffers.Binary;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SlmOps.Validation;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Passes;
using SlmOps.Quantization.Tests.Kernels;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;
using static SlmOps.Quantization.Tests.Qdq.QdqModels;

namespace SlmOps.Quantization.Tests.Qdq;

/// <summary>Static QDQ end to end on small models: calibrate in ONNX Runtime, quantize, run the result in ONNX Runtime.</summary>
public sealed class StaticQdqTests : IDisposable
{
    private readonly TempDirectory _temp = new("slmops-qdq");

    public void Dispose() => _temp.Dispose();

    private (string Source, ActivationRanges Ranges) Calibrated(ModelProto model, CalibrationMethod method = CalibrationMethod.MinMax, string name = "model.onnx")
    {
        string source = Write(_temp, model, name);
        return (source, Calibrator.Calibrate(source, new QuantizationOptions(), Feeds(), method));
    }

    private static QuantizationOptions Qdq(ActivationRanges ranges, QdqActivationType activations = QdqActivationType.UInt8, QdqWeightType weights = QdqWeightType.Int8) =>
        new() { Precision = Precision.Qdq, Ranges = ranges, ActivationType = activations, QdqWeights = weights };

    /// <summary>
    /// For tests about calibration, not weight types: int8 weights, except on x64 without VNNI, where ONNX Runtime's
    /// u8·s8 kernels saturate (relative errors up to 0.85 measured) and the comparison with fp32 would test the CPU.
    /// </summary>
    private static QdqWeightType CalibrationWeights => Int8Cpu.SaturatesSignedWeights ? QdqWeightType.UInt8 : QdqWeightType.Int8;

    [Theory]
    [InlineData(QdqActivationType.UInt8, QdqWeightType.Int8, 17, 0.03)]
    [InlineData(QdqActivationType.UInt8, QdqWeightType.UInt8, 17, 0.03)]
    [InlineData(QdqActivationType.UInt16, QdqWeightType.Int8, 17, 0.03)]
    [InlineData(QdqActivationType.UInt16, QdqWeightType.UInt8, 21, 0.03)]
    [InlineData(QdqActivationType.UInt8, QdqWeightType.Int8, 21, 0.03)]
    public void A_calibrated_QDQ_model_runs_in_ONNX_Runtime_close_to_fp32(QdqActivationType activations, QdqWeightType weights, long opset, double tolerance)
    {
        // u8 activations x s8 weights saturate in ONNX Runtime on x64 without VNNI (measured up to 0.20 there).
        if (activations == QdqActivationType.UInt8 && weights == QdqWeightType.Int8) tolerance = Int8Cpu.Tolerance(tolerance, 0.5);
        var (source, ranges) = Calibrated(Build(opset));
        string target = _temp.Combine("qdq.onnx");
        var result = ModelQuantizer.Quantize(source, target, Qdq(ranges, activations, weights));

        Assert.Equal(Precision.Qdq, result.Precision);
        Assert.Equal(["W1", "W2"], result.Tensors.Select(t => t.Name));
        Assert.True(result.InitializerBytesAfter < result.InitializerBytesBefore);
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var x = Input(seed);
            double error = KernelModels.RelativeError(Run(source, x), Run(target, x));
            Assert.True(error < tolerance, $"relative error {error:0.0000} on input {seed}");
            double errorZ = KernelModels.RelativeError(Run(source, x, "z"), Run(target, x, "z"));
            Assert.True(errorZ < 2 * tolerance, $"relative error of z {errorZ:0.0000} on input {seed}");
        }
    }

    [Fact]
    public void The_graph_has_one_QDQ_pair_per_activation_and_a_per_channel_DequantizeLinear_per_weight()
    {
        var (source, ranges) = Calibrated(Build(shared: true));
        Assert.Equal(["x", "h", "r", "y", "h2"], ranges.Keys);
        string target = _temp.Combine("qdq.onnx");
        ModelQuantizer.Quantize(source, target, Qdq(ranges));
        var graph = OnnxModelLoader.Load(target).Proto.Graph;

        Assert.Equal(
            [
                "x_QuantizeLinear", "x_DequantizeLinear", "W1_DequantizeLinear", "mm1", "h_QuantizeLinear", "h_DequantizeLinear",
                "add", "relu", "r_QuantizeLinear", "r_DequantizeLinear", "W2_DequantizeLinear", "gemm", "y_QuantizeLinear", "y_DequantizeLinear",
                "t", "mm_dynamic", "mm_shared", "h2_QuantizeLinear", "h2_DequantizeLinear",
            ],
            graph.Node.Select(n => n.Name));
        Assert.All(graph.Node, n => Assert.Equal("", n.Domain));

        // x is a graph input: its readers read the dequantized copy. h is produced by mm1: mm1 now writes
        // h_QuantizeLinear_Input and the DequantizeLinear writes h, so Add reads the dequantized value.
        NodeProto Named(string name) => graph.Node.Single(n => n.Name == name);
        Assert.Equal(["x_dequantized", "W1_dequantized"], Named("mm1").Input);
        Assert.Equal(["x_dequantized", "W1_dequantized"], Named("mm_shared").Input);
        Assert.Equal(["h_QuantizeLinear_Input"], Named("mm1").Output);
        Assert.Equal(["h_quantized", "h_scale", "h_zero_point"], Named("h_DequantizeLinear").Input);
        Assert.Equal(["h"], Named("h_DequantizeLinear").Output);
        Assert.Equal(["r", "W2_dequantized", "c"], Named("gemm").Input);
        Assert.Equal(0, Named("gemm").Attribute.Single(a => a.Name == "transB").I);
        Assert.Equal(["y"], Named("y_DequantizeLinear").Output);
        Assert.Contains(graph.Output, o => o.Name == "y");

        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        Assert.DoesNotContain("W1", initializers.Keys);
        Assert.DoesNotContain("W2", initializers.Keys);
        Assert.Equal((int)DataType.Int8, initializers["W1_quantized"].DataType);
        Assert.Equal([K, N], initializers["W1_quantized"].Dims);
        Assert.Equal([N, N], initializers["W2_quantized"].Dims); // written [K, N]: the Gemm's transB is now 0
        Assert.Equal([N], initializers["W1_scale"].Dims);
        Assert.Equal([N], initializers["W1_zero_point"].Dims);
        Assert.Equal(1, Named("W1_DequantizeLinear").Attribute.Single(a => a.Name == "axis").I);

        var xScale = initializers["x_scale"];
        Assert.Empty(xScale.Dims);
        Assert.Equal((int)DataType.Float, xScale.DataType);
        Assert.Equal(4, xScale.RawData.Length);
        Assert.Equal((int)DataType.Uint8, initializers["x_zero_point"].DataType);
        Assert.Equal(1, initializers["x_zero_point"].RawData.Length);
        var (scale, zeroPoint) = StaticQdqPass.ActivationParameters(ranges["x"], 255);
        Assert.Equal(scale, BitConverter.ToSingle(xScale.RawData.Span));
        Assert.Equal(zeroPoint, initializers["x_zero_point"].RawData[0]);

        var x = Input(5);
        Assert.True(KernelModels.RelativeError(Run(source, x, "h2"), Run(target, x, "h2")) < Int8Cpu.Tolerance(0.03, 0.5));
    }

    [Theory]
    [InlineData(17, "com.microsoft")]
    [InlineData(21, "")]
    public void Uint16_activations_use_the_com_microsoft_operators_below_opset_21(long opset, string domain)
    {
        var (source, ranges) = Calibrated(Build(opset));
        string target = _temp.Combine("qdq16.onnx");
        ModelQuantizer.Quantize(source, target, Qdq(ranges, QdqActivationType.UInt16));
        var model = OnnxModelLoader.Load(target).Proto;

        var activationNodes = model.Graph.Node.Where(n => n.OpType is "QuantizeLinear" || (n.OpType == "DequantizeLinear" && !n.Name.StartsWith('W'))).ToList();
        Assert.Equal(8, activationNodes.Count);
        Assert.All(activationNodes, n => Assert.Equal(domain, n.Domain));
        Assert.All(model.Graph.Node.Where(n => n.Name.StartsWith('W')), n => Assert.Equal("", n.Domain)); // weights: standard int8 DQ
        Assert.Equal(domain.Length > 0, model.OpsetImport.Any(o => o.Domain == "com.microsoft"));
        var zeroPoint = model.Graph.Initializer.Single(t => t.Name == "x_zero_point");
        Assert.Equal((int)DataType.Uint16, zeroPoint.DataType);
        var (_, expected) = StaticQdqPass.ActivationParameters(ranges["x"], 65535);
        Assert.Equal(expected, BinaryPrimitives.ReadUInt16LittleEndian(zeroPoint.RawData.Span));

        var x = Input(9);
        Assert.True(KernelModels.RelativeError(Run(source, x), Run(target, x)) < 0.01);
    }

    [Fact]
    public void Percentile_ignores_an_outlier_that_MinMax_keeps()
    {
        // 16 samples of 16 rows; one element of one row is 100 where the rest lie in [-1, 1). That row is 40 of the
        // 10,240 values of h, r and y (0.4%), so the 99.5th percentile leaves it out of every range.
        string source = Write(_temp, Build());
        var feeds = Enumerable.Range(0, 15).Select(i => Feed(Input(100 + i, rows: 16))).ToList();
        var spiky = Input(200, rows: 16);
        spiky[17] = 100f;
        feeds.Add(Feed(spiky));

        var minMax = Calibrator.Calibrate(source, new QuantizationOptions(), feeds, CalibrationMethod.MinMax);
        var percentile = Calibrator.Calibrate(source, new QuantizationOptions(), feeds, new CalibrationSettings { Method = CalibrationMethod.Percentile, Percentile = 99.5 });
        Assert.Equal(minMax.Keys, percentile.Keys);
        Assert.Equal("minmax", minMax.Method);
        Assert.Equal("percentile 99.5", percentile.Method);
        Assert.Equal(16, percentile.Samples);

        Assert.Equal(100f, minMax["x"].Max);
        // The threshold is resolved to one of 2048 bins over [0, 100]: within 0.05 of the 99.5th percentile of |x| (≈ 1).
        Assert.InRange(percentile["x"].Max, 0.95f, 1.05f);
        Assert.InRange(percentile["x"].Min, -1.0f, -0.95f);
        foreach (var name in percentile.Keys)
        {
            Assert.True(percentile[name].Min >= minMax[name].Min && percentile[name].Max <= minMax[name].Max, name);
            Assert.True(percentile[name].Max - percentile[name].Min < (minMax[name].Max - minMax[name].Min) / 3, name);
        }

        // On ordinary inputs the clipped range gives the finer steps and the smaller error.
        string a = _temp.Combine("minmax.onnx"), b = _temp.Combine("percentile.onnx");
        ModelQuantizer.Quantize(source, a, Qdq(minMax, weights: CalibrationWeights));
        ModelQuantizer.Quantize(source, b, Qdq(percentile, weights: CalibrationWeights));
        var x = Input(3);
        var reference = Run(source, x);
        double errorMinMax = KernelModels.RelativeError(reference, Run(a, x)), errorPercentile = KernelModels.RelativeError(reference, Run(b, x));
        Assert.True(errorPercentile < 0.03, $"percentile error {errorPercentile}");
        Assert.True(errorPercentile * 3 < errorMinMax, $"percentile {errorPercentile:0.0000} vs minmax {errorMinMax:0.0000}");
    }

    [Fact]
    public void Percentile_100_is_MinMax()
    {
        string source = Write(_temp, Build());
        var minMax = Calibrator.Calibrate(source, new QuantizationOptions(), Feeds(3), CalibrationMethod.MinMax);
        var all = Calibrator.Calibrate(source, new QuantizationOptions(), Feeds(3), new CalibrationSettings { Method = CalibrationMethod.Percentile, Percentile = 100 });
        Assert.Equal(minMax.ToArray(), all.ToArray());
    }

    [Fact]
    public void Ranges_round_trip_through_JSON_bit_for_bit()
    {
        var (_, ranges) = Calibrated(Build());
        var copy = ActivationRanges.FromJson(ranges.ToJson());
        Assert.Equal(ranges.ToArray(), copy.ToArray());
        Assert.Equal(ranges.Method, copy.Method);
        Assert.Equal(ranges.Samples, copy.Samples);
        Assert.Equal(ranges.ToJson(), copy.ToJson());

        string path = _temp.Combine("ranges.json");
        ranges.Save(path);
        Assert.Equal(ranges.ToArray(), ActivationRanges.Load(path).ToArray());
        Assert.Contains("\"format\": \"slmops-activation-ranges\"", File.ReadAllText(path), StringComparison.Ordinal);

        var odd = new ActivationRanges([new("a", new ActivationRange(-1.1754942E-38f, 3.4028235E+38f)), new("b", new ActivationRange(0.1f, 0.1f))]);
        Assert.Equal(odd.ToArray(), ActivationRanges.FromJson(odd.ToJson()).ToArray());
    }

    [Theory]
    [InlineData(float.NaN, 1f)]
    [InlineData(0f, float.PositiveInfinity)]
    [InlineData(2f, 1f)]
    public void An_invalid_range_is_SLM3001(float min, float max)
    {
        var ex = Assert.Throws<QuantizationException>(() => new ActivationRanges([new("act", new ActivationRange(min, max))]));
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, ex.Code);
        Assert.Contains("'act'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"format\": \"slmops-activation-ranges\", \"version\": 2, \"ranges\": {}}")]
    [InlineData("{\"format\": \"slmops-activation-ranges\", \"version\": 1, \"ranges\": {\"x\": {\"min\": 1}}}")]
    [InlineData("{\"format\": \"slmops-activation-ranges\", \"version\": 1, \"ranges\": {\"x\": {\"min\": 1, \"max\": 0}}}")]
    public void A_bad_ranges_file_is_SLM3001(string json)
    {
        string path = _temp.WriteFile("bad.json", json);
        var ex = Assert.Throws<QuantizationException>(() => ActivationRanges.Load(path));
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, ex.Code);
        Assert.Equal(path, ex.FilePath);
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, Assert.Throws<QuantizationException>(() => ActivationRanges.Load(_temp.Combine("missing.json"))).Code);
    }

    [Fact]
    public void Qdq_without_ranges_is_SLM3001_and_leaves_no_output()
    {
        string source = Write(_temp, Build());
        string target = _temp.Combine("out", "qdq.onnx");
        var ex = Assert.Throws<QuantizationException>(() => ModelQuantizer.Quantize(source, target, new QuantizationOptions { Precision = Precision.Qdq }));
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, ex.Code);
        Assert.Contains("calibration ranges", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void A_missing_input_range_is_SLM3001_naming_it_and_a_missing_output_range_leaves_the_output_float()
    {
        var (source, ranges) = Calibrated(Build());
        var withoutR = new ActivationRanges(ranges.Where(r => r.Key != "r"));
        var ex = Assert.Throws<QuantizationException>(() => ModelQuantizer.Quantize(source, _temp.Combine("a.onnx"), Qdq(withoutR)));
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, ex.Code);
        Assert.Contains("'r'", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine("a.onnx")));

        var withoutY = new ActivationRanges(ranges.Where(r => r.Key != "y"));
        var result = ModelQuantizer.Quantize(source, _temp.Combine("b.onnx"), Qdq(withoutY));
        Assert.Contains(result.Messages, m => m.Text.Contains("output 'y' has no calibration range", StringComparison.Ordinal));
        var graph = OnnxModelLoader.Load(_temp.Combine("b.onnx")).Proto.Graph;
        Assert.Equal(3, graph.Node.Count(n => n.OpType == "QuantizeLinear"));
        Assert.Equal(["y"], graph.Node.Single(n => n.Name == "gemm").Output);
    }

    [Fact]
    public void Calibrating_and_quantizing_twice_gives_identical_bytes()
    {
        var (source, ranges) = Calibrated(Build());
        var again = Calibrator.Calibrate(source, new QuantizationOptions(), Feeds(), CalibrationMethod.MinMax);
        Assert.Equal(ranges.ToJson(), again.ToJson());

        ModelQuantizer.Quantize(source, _temp.Combine("a.onnx"), Qdq(ranges) with { Write = new ModelWriteOptions { MaxDegreeOfParallelism = 1 } });
        ModelQuantizer.Quantize(source, _temp.Combine("b.onnx"), Qdq(again) with { Write = new ModelWriteOptions { MaxDegreeOfParallelism = 4 } });
        Assert.Equal(File.ReadAllBytes(_temp.Combine("a.onnx")), File.ReadAllBytes(_temp.Combine("b.onnx")));
    }

    [Fact]
    public void The_engine_lists_the_activations_that_calibration_must_cover()
    {
        string source = Write(_temp, Build(shared: true));
        Assert.Equal(["x", "h", "r", "y", "h2"], StaticQdq.ActivationsToCalibrate(source, new QuantizationOptions()));
        Assert.Equal(["r", "y"], StaticQdq.ActivationsToCalibrate(source, new QuantizationOptions { Include = ["gemm"] }));
        Assert.Empty(StaticQdq.ActivationsToCalibrate(source, new QuantizationOptions { MinimumElements = 1_000_000 }));
    }

    [Fact]
    public void Calibration_reads_external_data_and_graph_inputs_and_cleans_up()
    {
        string source = OnnxModelFactory.WriteWithExternalData(_temp.CreateDirectory("ext"));
        string work = _temp.CreateDirectory("work");
        var feeds = Enumerable.Range(0, 4).Select(i => (IReadOnlyDictionary<string, CalibrationInput>)new Dictionary<string, CalibrationInput>
        {
            ["x"] = CalibrationInput.Float([i, -2 * i, 0.5f, 3], 1, OnnxModelFactory.InFeatures),
        });
        var ranges = Calibrator.Calibrate(source, new QuantizationOptions(), feeds, new CalibrationSettings { WorkingDirectory = work });
        Assert.Equal(["x", "xw"], ranges.Keys);
        Assert.Equal(new ActivationRange(-6, 3), ranges["x"]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));

        string target = _temp.Combine("ext-qdq.onnx");
        ModelQuantizer.Quantize(source, target, Qdq(ranges, weights: CalibrationWeights));
        using var session = new InferenceSession(target);
        using var y = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(new float[] { 1, -2, 0.5f, 3 }, [1, 4]))]);
        using var reference = new InferenceSession(source);
        using var expected = reference.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(new float[] { 1, -2, 0.5f, 3 }, [1, 4]))]);
        double error = KernelModels.RelativeError(expected[0].AsTensor<float>().ToArray(), y[0].AsTensor<float>().ToArray());
        Assert.True(error < 0.03, $"relative error {error:0.0000}");
    }

    [Fact]
    public void Channel_energies_are_the_mean_square_per_channel_over_every_row_of_every_sample_and_clean_up()
    {
        string source = Write(_temp, Build());
        string work = _temp.CreateDirectory("work");
        var inputs = new[] { Input(1, rows: 2), Input(2, rows: 3) };

        var energies = Calibrator.ChannelEnergies(source, [("x", K), ("r", N), ("x", K)], inputs.Select(Feed), work);

        Assert.Equal(["x", "r"], energies.Keys);
        var x = energies["x"];
        Assert.Equal(K, x.Length);
        for (int channel = 0; channel < K; channel++)
        {
            double expected = inputs.SelectMany(i => Enumerable.Range(0, i.Length / K).Select(row => (double)i[row * K + channel] * i[row * K + channel])).Average();
            Assert.Equal(expected, x[channel], 5);
        }

        // r = relu(...): an inner activation, non-negative energies, some positive.
        Assert.Equal(N, energies["r"].Length);
        Assert.All(energies["r"], e => Assert.True(e >= 0));
        Assert.Contains(energies["r"], e => e > 0);
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));

        var mismatch = Assert.Throws<ArgumentException>(() => Calibrator.ChannelEnergies(source, [("x", K), ("x", 3)], inputs.Select(Feed)));
        Assert.Contains("'x' is given 3 channels and 96 elsewhere", mismatch.Message, StringComparison.Ordinal);
        var indivisible = Assert.Throws<QuantizationException>(() => Calibrator.ChannelEnergies(source, [("x", 5)], inputs.Select(Feed), work));
        Assert.Equal(QuantizationErrorCodes.CalibrationFailed, indivisible.Code);
        Assert.Contains("not a multiple of its 5 channels", indivisible.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));
    }

    [Fact]
    public void Calibration_failures_are_SLM3008_and_bad_settings_SLM3001()
    {
        string source = Write(_temp, Build());
        string work = _temp.CreateDirectory("work");
        var none = Assert.Throws<QuantizationException>(() => Calibrator.Calibrate(source, new QuantizationOptions(), [], CalibrationMethod.MinMax));
        Assert.Equal(QuantizationErrorCodes.CalibrationFailed, none.Code);

        var wrongShape = new Dictionary<string, CalibrationInput> { ["x"] = CalibrationInput.Float(new float[10], 1, 10) };
        var bad = Assert.Throws<QuantizationException>(() =>
            Calibrator.Calibrate(source, new QuantizationOptions(), [wrongShape], new CalibrationSettings { WorkingDirectory = work }));
        Assert.Equal(QuantizationErrorCodes.CalibrationFailed, bad.Code);
        Assert.Contains("sample 0", bad.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));

        var nan = Input(1);
        nan[3] = float.NaN;
        var nonFinite = Assert.Throws<QuantizationException>(() => Calibrator.Calibrate(source, new QuantizationOptions(), [Feed(nan)], CalibrationMethod.MinMax));
        Assert.Equal(QuantizationErrorCodes.CalibrationFailed, nonFinite.Code);
        Assert.Contains("'x'", nonFinite.Message, StringComparison.Ordinal);

        var percentile = Assert.Throws<QuantizationException>(() =>
            Calibrator.Calibrate(source, new QuantizationOptions(), Feeds(1), new CalibrationSettings { Method = CalibrationMethod.Percentile, Percentile = 0 }));
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, percentile.Code);
    }

    [Fact]
    public void Qdq_needs_opset_13()
    {
        var (source, ranges) = Calibrated(Build(opset: 12));
        var ex = Assert.Throws<QuantizationException>(() => ModelQuantizer.Quantize(source, _temp.Combine("old.onnx"), Qdq(ranges)));
        Assert.Equal(QuantizationErrorCodes.OpsetTooOld, ex.Code);
    }

    [Fact]
    public void A_QDQ_model_is_already_quantized()
    {
        var (source, ranges) = Calibrated(Build());
        string target = _temp.Combine("qdq.onnx");
        ModelQuantizer.Quantize(source, target, Qdq(ranges));
        var ex = Assert.Throws<QuantizationException>(() => ModelQuantizer.Quantize(target, _temp.Combine("again.onnx"), Qdq(ranges)));
        Assert.Equal(QuantizationErrorCodes.AlreadyQuantized, ex.Code);
    }

    [Theory]
    [InlineData(-1f, 3f, 255, 4f / 255, 64)]
    [InlineData(2f, 5f, 255, 5f / 255, 0)]
    [InlineData(-4f, -2f, 255, 4f / 255, 255)]
    [InlineData(0f, 0f, 255, 1f, 0)]
    [InlineData(-1f, 1f, 65535, 2f / 65535, 32768)]
    public void Activation_parameters_cover_zero_exactly(float min, float max, int qmax, float scale, int zeroPoint)
    {
        var (s, z) = StaticQdqPass.ActivationParameters(new ActivationRange(min, max), qmax);
        Assert.Equal(scale, s, 6);
        Assert.Equal(zeroPoint, z);
    }

    [Fact]
    public void The_names_parse()
    {
        Assert.Equal(Precision.Qdq, QuantizationNames.ParsePrecision("QDQ"));
        Assert.Equal("qdq", QuantizationNames.Format(Precision.Qdq));
        Assert.Equal(QdqActivationType.UInt16, QuantizationNames.ParseQdqActivationType("uint16"));
        Assert.Equal(QdqWeightType.UInt8, QuantizationNames.ParseQdqWeightType("uint8"));
        Assert.Equal(QuantizationErrorCodes.InvalidOptions, Assert.Throws<QuantizationException>(() => QuantizationNames.ParseQdqActivationType("int4")).Code);
    }
}
