using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// A misspelled or inapplicable SlmModel metadata is a warning on the project file, never silently ignored; a Name the
/// generator refuses is an error on the project file too.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class MetadataWarningTests(SdkPackageFixture sdk)
{
    [Fact]
    public void A_typo_warns_with_a_suggestion_and_a_setting_the_precision_ignores_warns_both_on_the_csproj()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "a.onnx");
        OnnxModelFactory.Write(project.Path("models"), "b.onnx");
        OnnxModelFactory.Write(project.Path("models"), "c.onnx");
        project.WriteProject("""
            <SlmModel Include="models/a.onnx" Precison="int4" />
            <SlmModel Include="models/b.onnx" Precision="fp16" BlockSize="64" />
            <SlmModel Include="models/c.onnx" OwnedByAnotherTool="x" />
            """, properties: "<SlmOpsIgnoredMetadata>OwnedByAnotherTool</SlmOpsIgnoredMetadata>");
        project.WriteProgram("""Console.WriteLine("ok");""");

        CommandResult build = project.Build().AssertSuccess();

        var warnings = build.Output.Split('\n').Where(l => l.Contains(": warning SLM", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
        string csproj = project.Path("App.csproj");
        Assert.Contains(warnings, l => l.StartsWith(csproj, StringComparison.Ordinal) && l.Contains("warning SLM1010", StringComparison.Ordinal)
            && l.Contains("'Precison'", StringComparison.Ordinal) && l.Contains("Did you mean 'Precision'?", StringComparison.Ordinal));
        Assert.Contains(warnings, l => l.StartsWith(csproj, StringComparison.Ordinal) && l.Contains("warning SLM1011", StringComparison.Ordinal)
            && l.Contains("BlockSize=\"64\"", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, l => l.Contains("OwnedByAnotherTool", StringComparison.Ordinal));
    }

    [Fact]
    public void A_name_the_generator_cannot_use_is_SLM1001_on_the_csproj_before_any_worker_runs()
    {
        // Regression: the tasks had identifier rules of their own, passed Name="Run", ran the worker and the build
        // failed only at compile time with SLM9003. One set of rules (ModelRules) now refuses it up front.
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" Name="Run" />""");
        project.WriteProgram("""Console.WriteLine("ok");""");

        CommandResult build = project.Build();

        Assert.False(build.Succeeded, build.Output);
        string error = build.Output.Split('\n').First(l => l.Contains("error SLM1001", StringComparison.Ordinal)).Trim();
        Assert.Matches(@"^(\d+>)?" + System.Text.RegularExpressions.Regex.Escape(project.Path("App.csproj")) + @"(\(\d+,\d+\))? ?: error SLM1001", error);
        Assert.Contains("the wrapper declares a member of that name", error);
        Assert.DoesNotContain("SLM9003", build.Output);
        Assert.DoesNotContain("SlmOpsRunWorker", build.Output.Split('\n').Where(l => l.Contains("Task \"", StringComparison.Ordinal)));
    }
}
