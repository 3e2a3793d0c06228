using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// <c>dotnet build</c> proves every variant in ONNX Runtime: a failed gate fails the build with an SLM4xxx error and
/// nothing ships; relaxing the gate validates the same variant again without quantizing again.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class ValidationBuildTests(SdkPackageFixture sdk)
{
    private const string Program = """
        using var model = App.Models.Linear.Load();
        Console.WriteLine("loaded");
        """;

    [Fact]
    public void A_failed_gate_fails_the_build_and_ships_nothing_and_relaxing_it_revalidates_the_same_variant()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" Precision="int4" BlockSize="16" MaxRelativeError="0.0001%" />""");
        project.WriteProgram(Program);

        CommandResult failed = project.Build();

        Assert.False(failed.Succeeded, failed.Output);
        Assert.Contains("| linux-x64 | int4 |", File.ReadAllText(Path.Combine(project.Directory, "obj", "Debug", "net10.0", "slm", "slm-report.md")));
        Assert.Matches(@"linear\.onnx ?: error SLM4010: SlmModel 'Linear' \(linux-x64, int4\): MaxRelativeError of 'y' is [0-9.]+, above the gate's 0\.000001\.", failed.Output);
        string shipped = Path.Combine(project.OutputDirectory, "models", "Linear");
        Assert.False(Directory.Exists(shipped), "a variant that failed its gate is not in the output");
        string variant = Path.Combine(project.Directory, "obj", "Debug", "net10.0", "slm", "Linear", "linux-x64", "model.onnx");
        byte[] made = File.ReadAllBytes(variant);

        project.WriteProject("""<SlmModel Include="models/linear.onnx" Precision="int4" BlockSize="16" MaxRelativeError="50%" />""");
        CommandResult relaxed = project.Build("-v:n");

        relaxed.AssertSuccess();
        Assert.Equal(2, project.Invocations.Length);
        Assert.Contains("the variant made with these settings is unchanged; validating it again", relaxed.Output);
        Assert.Matches(@"SlmOps: Linear \(linux-x64\): int4, .* validated: MaxRelativeError [0-9.]+ \(<= 0\.5\), p50", relaxed.Output);
        Assert.DoesNotContain("quantizing to int4", relaxed.Output);
        Assert.Equal(made, File.ReadAllBytes(variant));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(shipped, "manifest.json")));
        var validation = manifest.RootElement.GetProperty("validation");
        Assert.True(validation.GetProperty("passed").GetBoolean());
        Assert.Equal(0.5, validation.GetProperty("gates")[0].GetProperty("threshold").GetDouble());
        Assert.False(File.Exists(Path.Combine(shipped, "slmops.key")), "the worker's bookkeeping is not shipped");
        project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();

        // The report is in obj/ and beside the models in the output, and a deleted one is written again.
        string report = Path.Combine(project.Directory, "obj", "Debug", "net10.0", "slm", "slm-report.md");
        Assert.Contains("1 variant, 1 passed; checked on", File.ReadAllText(report));
        Assert.Equal(File.ReadAllText(report), File.ReadAllText(Path.Combine(project.OutputDirectory, "models", "slm-report.md")));
        Assert.True(File.Exists(Path.Combine(project.OutputDirectory, "models", "slm-report.html")));
        File.Delete(report);
        project.Build().AssertSuccess();
        Assert.Equal("prepare 0", project.Invocations[^1]);
        Assert.Contains("| linux-x64 | int4 |", File.ReadAllText(report));
    }

    [Fact]
    public void SlmOpsValidationMode_warn_turns_a_failed_gate_into_a_warning_and_the_variant_ships()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" Precision="int4" BlockSize="16" MaxRelativeError="0.0001%" />""",
            properties: "<SlmOpsValidationMode>warn</SlmOpsValidationMode>");
        project.WriteProgram(Program);

        CommandResult result = project.Build();

        result.AssertSuccess();
        Assert.Contains("warning SLM4010: SlmModel 'Linear' (linux-x64, int4): MaxRelativeError of 'y'", result.Output);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.OutputDirectory, "models", "Linear", "manifest.json")));
        Assert.False(manifest.RootElement.GetProperty("validation").GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void Precision_qdq_calibrates_on_SampleData_in_a_plain_build_and_a_changed_sample_calibrates_again()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        void WriteSample(float scale)
        {
            var tensor = new SlmOps.Onnx.Protobuf.TensorProto { Name = "x", DataType = (int)SlmOps.Onnx.Protobuf.TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange([2, 4]);
            tensor.FloatData.AddRange(Enumerable.Range(0, 8).Select(v => (v - 4) * scale));
            Directory.CreateDirectory(project.Path("samples"));
            File.WriteAllBytes(project.Path("samples/input_0.pb"), Google.Protobuf.MessageExtensions.ToByteArray(tensor));
        }

        WriteSample(1f);
        project.WriteProject("""<SlmModel Include="models/linear.onnx" Precision="qdq" QdqWeights="uint8" SampleData="samples" />""");
        project.WriteProgram(Program);

        CommandResult build = project.Build("-v:n").AssertSuccess();

        Assert.Contains("SlmOps: Linear (linux-x64): calibrated 2 activations on 1 samples of " + project.Path("samples"), build.Output);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.OutputDirectory, "models", "Linear", "manifest.json"))))
        {
            var validation = manifest.RootElement.GetProperty("validation");
            Assert.Equal((1, false, true), (validation.GetProperty("samples").GetInt32(), validation.GetProperty("synthesized").GetBoolean(), validation.GetProperty("passed").GetBoolean()));
        }

        project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();
        project.Build().AssertSuccess();
        Assert.Single(project.Invocations);

        WriteSample(2f);
        build = project.Build("-v:n").AssertSuccess();
        Assert.Equal(2, project.Invocations.Length);
        Assert.Contains("calibrated 2 activations", build.Output);
    }

    [Fact]
    public void Precision_auto_ships_the_smallest_candidate_within_the_gates_with_no_metadata_warning_and_reports_what_it_tried()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx", OnnxModelFactory.CreateDense(128, 64));
        project.WriteProject("""<SlmModel Include="models/linear.onnx" Precision="auto" BlockSize="16" MaxRelativeError="50%" />""");
        project.WriteProgram(Program);

        CommandResult build = project.Build();

        build.AssertSuccess();
        Assert.DoesNotContain("SLM1011", build.Output);
        Assert.Matches(@"SlmOps: Linear \(linux-x64\): auto: int4, .* -> .*, validated: MaxRelativeError [0-9.]+ \(<= 0\.5\)", build.Output);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.OutputDirectory, "models", "Linear", "manifest.json")));
        Assert.Equal("int4", manifest.RootElement.GetProperty("auto").GetProperty("chosen").GetString());
        string report = File.ReadAllText(Path.Combine(project.Directory, "obj", "Debug", "net10.0", "slm", "slm-report.md"));
        Assert.Contains("| linux-x64 | auto: int4 |", report);
        Assert.Contains("| int4 (chosen) |", report);
        project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();
    }
}
