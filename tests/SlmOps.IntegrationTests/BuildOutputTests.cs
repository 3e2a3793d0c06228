using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>What a build prints at the default verbosity: one line per model that was prepared, nothing when nothing was.</summary>
[Collection(SdkCollection.Name)]
public sealed class BuildOutputTests(SdkPackageFixture sdk)
{
    [Fact]
    public void A_first_build_prints_one_summary_line_per_model_and_a_no_op_build_none()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" Precision="int4" BlockSize="16" />""");
        project.WriteProgram("""Console.WriteLine("ok");""");

        CommandResult first = project.Dotnet("build", "-nr:false", "-p:UseSharedCompilation=false").AssertSuccess();
        CommandResult second = project.Dotnet("build", "-nr:false", "-p:UseSharedCompilation=false").AssertSuccess();

        var lines = first.Output.Split('\n').Where(l => l.Contains("SlmOps: ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Assert.Matches(@"^SlmOps: Linear \([a-z0-9-]+\): int4, \d+ B -> \d+ B, validated: MaxRelativeError [0-9.]+ \(<= 0\.35\), p50 \d+\.\d ms \(original \d+\.\d ms\), \d+\.\d\d s$", Assert.Single(lines));
        Assert.DoesNotContain("slmops:", first.Output);
        Assert.DoesNotContain("SlmOps: ", second.Output);
    }
}
