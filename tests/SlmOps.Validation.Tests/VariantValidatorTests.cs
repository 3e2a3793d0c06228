using Google.Protobuf;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Validation.Tests;

/// <summary>Every check of <see cref="VariantValidator"/> against variants of the linear test model that break one thing each.</summary>
public sealed class VariantValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new("slmops-validation");

    public void Dispose() => _dir.Dispose();

    private string Original => OnnxModelFactory.Write(_dir.FullPath, "original.onnx");

    private string Variant(Action<ModelProto> change)
    {
        ModelProto model = OnnxModelFactory.CreateLinear();
        change(model);
        return OnnxModelFactory.Write(_dir.FullPath, "variant.onnx", model);
    }

    private static void SetWeights(ModelProto model, Func<int, float, float> weight)
    {
        TensorProto w = model.Graph.Initializer.Single(t => t.Name == "W");
        float[] values = OnnxModelFactory.Weights.Select((v, i) => weight(i, v)).ToArray();
        w.RawData = ByteString.CopyFrom(OnnxModelFactory.FloatBytes(values));
    }

    [Fact]
    public void An_identical_variant_passes_every_gate_with_zero_drift_and_reports_latency()
    {
        ValidationResult result = VariantValidator.Validate(Original, Variant(_ => { }), new ValidationSettings { Gates = ValidationGates.DefaultsFor("fp32") });

        Assert.True(result.Passed, string.Join("\n", result.Failures));
        OutputDrift y = Assert.Single(result.Outputs);
        Assert.Equal(("y", 0.0, 0.0, 0L), (y.Name, y.RelativeError, y.MaxAbsError, y.NonFinite));
        GateResult gate = Assert.Single(result.Gates);
        Assert.Equal(("MaxRelativeError", 1e-4, true), (gate.Gate, gate.Threshold, gate.Passed));
        Assert.True(result.SynthesizedSamples);
        Assert.Equal(1, result.SampleCount);
        Assert.Equal(10, result.VariantLatency!.Runs);
        Assert.True(result.VariantLatency.P95Milliseconds >= result.VariantLatency.P50Milliseconds);
        Assert.StartsWith("1.", result.OrtVersion);
    }

    [Fact]
    public void Scrambled_weights_fail_MaxRelativeError_with_the_measured_value_and_the_threshold()
    {
        string variant = Variant(m => SetWeights(m, (i, _) => OnnxModelFactory.Weights[(i * 7) % OnnxModelFactory.Weights.Length] * -1));

        ValidationResult result = VariantValidator.Validate(Original, variant, new ValidationSettings());

        ValidationFailure failure = Assert.Single(result.Failures);
        Assert.Equal("SLM4010", failure.Code);
        GateResult gate = Assert.Single(result.Gates);
        Assert.False(gate.Passed);
        Assert.True(gate.Measured > 0.35, gate.Measured.ToString());
        Assert.Matches(@"^MaxRelativeError of 'y' is [0-9.]+, above the gate's 0\.35\.$", failure.Message);
    }

    [Fact]
    public void A_small_error_passes_a_loose_gate_and_fails_a_tight_one()
    {
        string variant = Variant(m => SetWeights(m, (_, v) => v * 1.01f));

        Assert.True(VariantValidator.Validate(Original, variant, new ValidationSettings { Gates = new() { MaxRelativeError = 0.05 } }).Passed);
        ValidationResult tight = VariantValidator.Validate(Original, variant, new ValidationSettings { Gates = new() { MaxRelativeError = 0.001 } });
        Assert.Equal("SLM4010", Assert.Single(tight.Failures).Code);
    }

    [Fact]
    public void NaN_weights_are_SLM4003()
    {
        string variant = Variant(m => SetWeights(m, (i, v) => i == 0 ? float.NaN : v));

        ValidationResult result = VariantValidator.Validate(Original, variant, new ValidationSettings { Gates = new() });

        ValidationFailure failure = Assert.Single(result.Failures);
        Assert.Equal("SLM4003", failure.Code);
        Assert.Contains("The output 'y' has 2 NaN or infinite values", failure.Message); // batch 2: one per row
    }

    [Fact]
    public void A_renamed_output_is_SLM4004_naming_both_names()
    {
        string variant = Variant(m =>
        {
            m.Graph.Output[0].Name = "logits";
            m.Graph.Node.Single(n => n.Name == "add").Output[0] = "logits";
        });

        ValidationResult result = VariantValidator.Validate(Original, variant, new ValidationSettings());

        ValidationFailure failure = Assert.Single(result.Failures);
        Assert.Equal("SLM4004", failure.Code);
        Assert.Contains("outputs are (logits), the original's (y)", failure.Message);
        Assert.Empty(result.Outputs);
    }

    [Fact]
    public void A_changed_input_type_is_SLM4004()
    {
        string variant = Variant(m => m.Graph.Input[0].Type.TensorType.ElemType = (int)DataType.Double);

        ValidationResult result = VariantValidator.Validate(Original, variant, new ValidationSettings());

        // ONNX Runtime refuses the graph (MatMul of double and float) or the signature check does: either way, not a pass.
        ValidationFailure failure = Assert.Single(result.Failures);
        Assert.Contains(failure.Code, new[] { "SLM4001", "SLM4004" });
    }

    [Fact]
    public void An_IR_version_this_ONNX_Runtime_does_not_know_is_SLM4001_with_its_version()
    {
        string variant = Variant(m => m.IrVersion = 14);

        ValidationResult result = VariantValidator.Validate(Original, variant, new ValidationSettings());

        ValidationFailure failure = Assert.Single(result.Failures);
        Assert.Equal("SLM4001", failure.Code);
        Assert.Contains($"ONNX Runtime {ModelRunner.OrtVersion} cannot load the model", failure.Message);
        Assert.Contains("14", failure.Message);
    }

    [Fact]
    public void An_original_that_does_not_load_is_an_exception_naming_it_not_a_failed_variant()
    {
        string broken = _dir.WriteFile("broken.onnx", "not a model");

        var ex = Assert.Throws<ValidationException>(() => VariantValidator.Validate(broken, Variant(_ => { }), new ValidationSettings()));

        Assert.Equal("SLM4001", ex.Code);
        Assert.Equal(broken, ex.FilePath);
    }
}
