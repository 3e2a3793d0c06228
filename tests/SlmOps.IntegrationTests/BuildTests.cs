using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

[Collection(SdkCollection.Name)]
public sealed class BuildTests(SdkPackageFixture sdk)
{
    private static readonly float[] LinearInput = [1f, 2f, 3f, 4f, -1f, 0.5f, 0f, 2f];

    /// <summary>Prints y for a fixed batch of two rows through the generated wrapper.</summary>
    private const string LinearProgram = """
        using System.Globalization;
        using App.Models;
        using SlmOps.Runtime;

        using var model = Linear.Load();
        var x = SlmTensor<float>.Create(new float[] { 1f, 2f, 3f, 4f, -1f, 0.5f, 0f, 2f }, 2, 4);
        Linear.Output output = model.Run(x);
        Console.WriteLine("y=" + string.Join(";", output.Y.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        Console.WriteLine("shape=" + output.Y.ShapeText);
        Linear.Output awaited = await model.RunAsync(new Linear.Input { X = x });
        Console.WriteLine("async-same=" + awaited.Y.ToArray().SequenceEqual(output.Y.ToArray()));
        """;

    private TestProject LinearProject(bool asPackageReference = false)
    {
        var project = new TestProject(sdk, asPackageReference: asPackageReference);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" />""");
        project.WriteProgram(LinearProgram);
        return project;
    }

    private static float[] ParseY(string output)
    {
        string line = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("y=", StringComparison.Ordinal));
        return line[2..].Split(';').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    private static float[] RunOnnxRuntime(string modelPath, float[] input, long[] shape)
    {
        using var session = new InferenceSession(modelPath);
        using var x = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var results = session.Run(new RunOptions(), new[] { "x" }, new[] { x }, new[] { "y" });
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Fact]
    public void Build_generates_the_wrapper_copies_the_model_and_the_app_matches_onnx_runtime()
    {
        using var project = LinearProject();

        CommandResult build = project.Build().AssertSuccess();

        // The package carries the worker precompiled (ReadyToRun) for the RID it was packed on, this one.
        Assert.Contains($"tools/net10.0/{RuntimeInformation.RuntimeIdentifier}/slmops.dll", build.Output.Replace('\\', '/'));
        string model = Path.Combine(project.OutputDirectory, "models", "Linear", "model.onnx");
        Assert.True(File.Exists(model), "the model is copied to models/Linear/");
        string manifest = File.ReadAllText(Path.Combine(project.OutputDirectory, "models", "Linear", "manifest.json"));
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(project.Path("models/linear.onnx")))), manifest);

        CommandResult run = project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();

        float[] expected = RunOnnxRuntime(project.Path("models/linear.onnx"), LinearInput, [2, 4]);
        Assert.Equal(expected, ParseY(run.Output));
        Assert.Contains("shape=[2, 3]", run.Output);
        Assert.Contains("async-same=True", run.Output);
    }

    [Fact]
    public void SlmOpsModelsFolder_is_where_the_build_copies_and_the_generated_Load_looks_and_one_outside_the_output_is_SLM1013()
    {
        // Regression: Load() hard-coded "models" and threw FileNotFoundException for any other SlmOpsModelsFolder.
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" />""", "<SlmOpsModelsFolder>assets/ml</SlmOpsModelsFolder>");
        project.WriteProgram(LinearProgram);

        project.Build().AssertSuccess();

        Assert.True(File.Exists(Path.Combine(project.OutputDirectory, "assets", "ml", "Linear", "model.onnx")));
        Assert.False(Directory.Exists(Path.Combine(project.OutputDirectory, "models")));
        CommandResult run = project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();
        Assert.Equal(RunOnnxRuntime(project.Path("models/linear.onnx"), LinearInput, [2, 4]), ParseY(run.Output));

        CommandResult outside = project.Build("-p:SlmOpsModelsFolder=../shared");
        Assert.False(outside.Succeeded, outside.Output);
        string error = outside.Output.Split('\n').First(l => l.Contains("error SLM1013", StringComparison.Ordinal)).Trim();
        Assert.Matches(@"^(\d+>)?" + System.Text.RegularExpressions.Regex.Escape(project.Path("App.csproj")) + @"(\(\d+,\d+\))? ?: error SLM1013", error);
        Assert.False(Directory.Exists(Path.Combine(project.OutputDirectory, "..", "shared")));
    }

    [Fact]
    public void Works_as_a_package_reference_too()
    {
        using var project = LinearProject(asPackageReference: true);

        project.Build().AssertSuccess();

        CommandResult run = project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();
        Assert.Equal(RunOnnxRuntime(project.Path("models/linear.onnx"), LinearInput, [2, 4]), ParseY(run.Output));
    }

    [Fact]
    public void A_second_build_starts_no_worker_and_rewrites_nothing()
    {
        using var project = LinearProject();
        project.Build().AssertSuccess();
        Assert.Single(project.Invocations);
        string[] outputs = Directory.GetFiles(project.Path("obj"), "*", SearchOption.AllDirectories)
            .Where(f => f.Contains($"{Path.DirectorySeparatorChar}slm{Path.DirectorySeparatorChar}"))
            .Append(Path.Combine(project.OutputDirectory, "models", "Linear", "model.onnx"))
            .ToArray();
        var before = outputs.ToDictionary(f => f, File.GetLastWriteTimeUtc);

        CommandResult second = project.Build().AssertSuccess();

        Assert.Single(project.Invocations);
        Assert.All(outputs, f => Assert.Equal(before[f], File.GetLastWriteTimeUtc(f)));
        Assert.DoesNotContain("SlmOpsRunWorker", second.Output.Split('\n').Where(l => l.Contains("Task \"")));
    }

    [Fact]
    public void Touching_a_model_or_its_metadata_reruns_exactly_that_model()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "first.onnx");
        OnnxModelFactory.Write(project.Path("models"), "second.onnx");
        project.WriteProject("""
            <SlmModel Include="models/first.onnx" />
            <SlmModel Include="models/second.onnx" />
            """);
        project.WriteProgram("""Console.WriteLine(typeof(App.Models.First).Name + typeof(App.Models.Second).Name);""");
        project.Build().AssertSuccess();
        Assert.Single(project.Invocations);

        File.SetLastWriteTimeUtc(project.Path("models/first.onnx"), DateTime.UtcNow);
        project.Build().AssertSuccess();

        Assert.Equal(2, project.Invocations.Length);
        Assert.Contains("First", project.Invocations[1]);
        Assert.DoesNotContain("Second", project.Invocations[1]);

        project.WriteProject("""
            <SlmModel Include="models/first.onnx" />
            <SlmModel Include="models/second.onnx" Namespace="App.Other" />
            """);
        project.WriteProgram("""Console.WriteLine(typeof(App.Models.First).Name + typeof(App.Other.Second).Name);""");
        project.Build().AssertSuccess();

        Assert.Equal(3, project.Invocations.Length);
        Assert.Contains("Second", project.Invocations[2]);
        Assert.DoesNotContain("First", project.Invocations[2]);
    }

    [Fact]
    public void Clean_removes_what_the_build_wrote()
    {
        using var project = LinearProject();
        project.Build().AssertSuccess();
        string slm = Path.Combine(project.Path("obj"), "Debug", "net10.0", "slm");
        Assert.NotEmpty(Directory.GetFiles(slm, "*", SearchOption.AllDirectories));

        project.Dotnet("clean", "-nr:false").AssertSuccess();

        Assert.Empty(Directory.Exists(slm) ? Directory.GetFiles(slm, "*", SearchOption.AllDirectories) : []);
        Assert.False(File.Exists(Path.Combine(project.OutputDirectory, "models", "Linear", "model.onnx")));
    }

    [Fact]
    public void Design_time_builds_write_only_the_contract()
    {
        using var project = LinearProject();
        project.Dotnet("restore").AssertSuccess();

        project.Dotnet("msbuild", "-nr:false", "-t:ResolveReferences;CoreCompile", "-p:DesignTimeBuild=true",
            "-p:SkipCompilerExecution=true", "-p:ProvideCommandLineArgs=true", "-p:UseSharedCompilation=false").AssertSuccess();

        string slm = Path.Combine(project.Path("obj"), "Debug", "net10.0", "slm", "Linear");
        Assert.True(File.Exists(Path.Combine(slm, "contract.json")));
        Assert.Empty(Directory.GetFiles(slm, "model.onnx", SearchOption.AllDirectories));
    }

    [Fact]
    public void Publish_ships_the_model_and_the_published_app_runs()
    {
        using var project = LinearProject();
        string publish = project.Path("publish");

        project.Dotnet("publish", "-nr:false", "-p:UseSharedCompilation=false", "-o", publish).AssertSuccess();

        Assert.True(File.Exists(Path.Combine(publish, "models", "Linear", "model.onnx")));
        Assert.True(File.Exists(Path.Combine(publish, "models", "Linear", "manifest.json")));
        CommandResult run = project.Dotnet(Path.Combine(publish, "App.dll")).AssertSuccess();
        Assert.Equal(RunOnnxRuntime(project.Path("models/linear.onnx"), LinearInput, [2, 4]), ParseY(run.Output));
    }
}
