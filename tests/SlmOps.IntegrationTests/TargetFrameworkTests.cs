using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// Projects that multi-target: every framework from net8.0 on builds and runs the generated wrapper; an older one
/// fails with SLM1012 on the project file (not NuGet's NU1202), both as an SDK and as a package reference.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class TargetFrameworkTests(SdkPackageFixture sdk)
{
    private const string Program = """
        using var model = App.Models.Linear.Load();
        var y = model.Run(SlmOps.Runtime.SlmTensor<float>.Create(new float[] { 1f, 2f, 3f, 4f }, 1, 4)).Y;
        Console.WriteLine($"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}: y={string.Join(";", y.ToArray())}");
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_project_that_targets_net8_and_net10_builds_and_runs_the_wrapper_for_both(bool asPackageReference)
    {
        using var project = new TestProject(sdk, asPackageReference: asPackageReference);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" />""", targetFramework: "net8.0;net10.0");
        project.WriteProgram(Program);

        CommandResult build = project.Build().AssertSuccess();

        Assert.DoesNotContain("NU1202", build.Output);
        string net10 = project.Dotnet(project.Path("bin/Debug/net10.0/App.dll")).AssertSuccess().Output;
        // Only the .NET 10 runtime is on the build machines; the net8.0 app rolls forward onto it.
        var rollForward = new Dictionary<string, string> { ["DOTNET_ROLL_FORWARD"] = "Major" };
        string net8 = DotNet.Run(project.Directory, rollForward, project.Path("bin/Debug/net8.0/App.dll")).AssertSuccess().Output;
        Assert.Contains("y=", net8);
        Assert.Equal(net10[net10.IndexOf("y=", StringComparison.Ordinal)..], net8[net8.IndexOf("y=", StringComparison.Ordinal)..]);
        Assert.True(File.Exists(project.Path("bin/Debug/net8.0/models/Linear/model.onnx")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_framework_older_than_net8_fails_with_SLM1012_on_the_project_file(bool asPackageReference)
    {
        using var project = new TestProject(sdk, asPackageReference: asPackageReference);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" />""", targetFramework: "net6.0;net10.0",
            properties: "<CheckEolTargetFramework>false</CheckEolTargetFramework>");
        project.WriteProgram(Program);

        CommandResult build = project.Build();

        Assert.False(build.Succeeded, build.Output);
        Assert.DoesNotContain("NU1202", build.Output);
        string error = build.Output.Split('\n').First(l => l.Contains("error SLM1012", StringComparison.Ordinal)).Trim();
        Assert.Contains(project.Path("App.csproj") + " : error SLM1012", error);
        Assert.Contains("'net6.0'", error);
        Assert.Contains("net8.0 and later", error);
    }
}
