using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>Bad model files fail the build with a coded error naming the file, and leave nothing in the output.</summary>
[Collection(SdkCollection.Name)]
public sealed class BadInputTests(SdkPackageFixture sdk)
{
    public static TheoryData<string, string> Cases => new()
    {
        { "missing", "SLM2001" },
        { "not-onnx", "SLM2002" },
        { "truncated", "SLM2003" },
        { "escaping-external-data", "SLM2004" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_model_fails_the_build_with_a_coded_error_and_no_output(string kind, string code)
    {
        using var project = new TestProject(sdk);
        string models = project.Path("models");
        Directory.CreateDirectory(models);
        string file = Path.Combine(models, "bad.onnx");
        switch (kind)
        {
            case "not-onnx":
                File.WriteAllText(file, "this is a text file, not a model\n");
                break;
            case "truncated":
                byte[] bytes = File.ReadAllBytes(OnnxModelFactory.Write(models, "bad.onnx"));
                File.WriteAllBytes(file, bytes[..(bytes.Length * 2 / 3)]);
                break;
            case "escaping-external-data":
                OnnxModelFactory.WriteWithExternalData(models, "bad.onnx",
                    m => OnnxModelFactory.MakeExternal(m.Graph.Initializer[0], "../../outside.bin", 0, null));
                break;
        }

        project.WriteProject("""<SlmModel Include="models/bad.onnx" />""");
        project.WriteProgram("""Console.WriteLine("never runs");""");

        CommandResult build = project.Build();

        Assert.False(build.Succeeded, build.Output);
        string errorLine = build.Output.Split('\n').First(l => l.Contains($"error {code}", StringComparison.Ordinal));
        Assert.Contains(file, errorLine);
        Assert.False(Directory.Exists(Path.Combine(project.OutputDirectory, "models", "Bad")));
        string slm = Path.Combine(project.Path("obj"), "Debug", "net10.0", "slm", "Bad");
        Assert.Empty(Directory.Exists(slm) ? Directory.GetFiles(slm, "*.onnx", SearchOption.AllDirectories) : []);
        Assert.False(File.Exists(Path.Combine(slm, "contract.json")));
    }
}
