using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>The SDK's targets as extension points: items added by a target, steps appended to the pipeline.</summary>
[Collection(SdkCollection.Name)]
public sealed class PipelineTargetsTests(SdkPackageFixture sdk)
{
    [Fact]
    public void SlmModel_items_added_by_a_target_before_SlmOpsBeforePrepare_are_prepared_and_an_appended_step_runs_after_the_sdk()
    {
        // Regression: SlmOpsPrepare was conditioned on @(SlmModel), which MSBuild evaluates before the target's
        // dependencies, so a model added by a BeforeTargets="SlmOpsBeforePrepare" target was never prepared.
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("staging"), "linear.onnx");
        project.WriteProject(items: "", properties: "<SlmOpsPrepareDependsOn>ReportModels</SlmOpsPrepareDependsOn>");
        string csproj = project.Path("App.csproj");
        File.WriteAllText(csproj, File.ReadAllText(csproj).Replace("</Project>", """
              <Target Name="AddModels" BeforeTargets="SlmOpsBeforePrepare">
                <Copy SourceFiles="staging/linear.onnx" DestinationFolder="models" SkipUnchangedFiles="true" />
                <ItemGroup>
                  <SlmModel Include="models/linear.onnx" Precision="int4" BlockSize="16" />
                </ItemGroup>
              </Target>
              <Target Name="ReportModels">
                <Message Importance="high" Text="step after the SDK saw the contract" Condition="Exists('$(IntermediateOutputPath)slm/Linear/contract.json')" />
              </Target>
            </Project>
            """));
        project.WriteProgram("""Console.WriteLine(App.Models.Linear.ModelName);""");

        CommandResult build = project.Build().AssertSuccess();
        CommandResult run = project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();

        Assert.Matches(@"SlmOps: Linear \([a-z0-9-]+\): int4", build.Output);
        Assert.Contains("step after the SDK saw the contract", build.Output);
        Assert.Contains("Linear", run.Output);
        Assert.True(File.Exists(Path.Combine(project.OutputDirectory, "models", "Linear", "model.onnx")));
    }
}
