using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// The <c>slmops</c> .NET tool package, installed from the test feed the way users install it (as a local tool in a
/// manifest, and into a tool path as a global install does), runs, and is the same worker the SDK runs at build time.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class ToolPackageTests(SdkPackageFixture sdk)
{
    [Fact]
    public void The_tool_installs_from_a_feed_as_a_local_and_a_global_tool_and_quantizes_byte_for_byte_as_the_build_does()
    {
        using var project = new TestProject(sdk);
        string model = OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" Precision="int4" BlockSize="16" />""");
        project.WriteProgram("""Console.WriteLine("ok");""");
        project.Build().AssertSuccess();
        byte[] built = File.ReadAllBytes(Path.Combine(project.OutputDirectory, "models", "Linear", "model.onnx"));

        // Local tool: a manifest in the repository, `dotnet slmops ...`.
        DotNet.Run(project.Root, null, "new", "tool-manifest").AssertSuccess();
        DotNet.Run(project.Root, null, "tool", "install", "slmops", "--version", sdk.Version).AssertSuccess();
        CommandResult version = DotNet.Run(project.Root, null, "slmops", "--version").AssertSuccess();
        Assert.Contains(sdk.Version, version.Output);
        CommandResult inspect = DotNet.Run(project.Root, null, "slmops", "inspect", model).AssertSuccess();
        Assert.Contains("MatMul", inspect.Output);

        // Global tool, installed into a tool path (what -g does, without touching this machine's ~/.dotnet/tools).
        string toolPath = Path.Combine(project.Root, "tools");
        DotNet.Run(project.Root, null, "tool", "install", "slmops", "--version", sdk.Version, "--tool-path", toolPath).AssertSuccess();
        string quantized = Path.Combine(project.Root, "linear.int4.onnx");
        DotNet.Exec(project.Root, Path.Combine(toolPath, OperatingSystem.IsWindows() ? "slmops.exe" : "slmops"), null,
            "quantize", model, quantized, "--precision", "int4", "--block-size", "16").AssertSuccess();

        Assert.Equal(built, File.ReadAllBytes(quantized));
    }
}
