using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// <c>SlmTarget</c> items in a real <c>dotnet build</c> and <c>dotnet publish -r</c>: a variant per model × target,
/// each with its profile's settings and its own manifest; the build ships the host's, a publish the RID's.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class DeviceTargetBuildTests(SdkPackageFixture sdk)
{
    private const string Program = """
        using var model = App.Models.Dense.Load();
        Console.WriteLine("loaded");
        """;

    private static JsonElement Manifest(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    /// <summary>A project with the 128 × 64 dense test model in models/dense.onnx, <paramref name="items"/> and a program that loads it.</summary>
    private TestProject DenseProject(string items)
    {
        var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "dense.onnx", OnnxModelFactory.CreateDense(128, 64));
        project.WriteProject(items);
        project.WriteProgram(Program);
        return project;
    }

    [Fact]
    public void Each_target_gets_its_variant_the_build_ships_the_hosts_and_a_publish_for_arm64_ships_the_rpi5_one()
    {
        using var project = DenseProject("""
            <SlmTarget Include="linux-x64" Precision="int8-weight" />
            <SlmTarget Include="rpi5" MaxModelSize="1MB" />
            <SlmModel Include="models/dense.onnx" Name="Dense" BlockSize="16" MaxRelativeError="50%" />
            """);

        CommandResult build = project.Build("-v:n");

        build.AssertSuccess();
        Assert.Matches(@"SlmOps: Dense \(linux-x64\): int8-weight, ", build.Output);
        Assert.Matches(@"SlmOps: Dense \(rpi5\): int4, ", build.Output);
        string slm = project.Path("obj/Debug/net10.0/slm/Dense");
        var rpi5 = Manifest(Path.Combine(slm, "rpi5", "manifest.json"));
        Assert.Equal(("rpi5", "linux-arm64", "cpu", "int4"), (rpi5.GetProperty("target").GetString(), rpi5.GetProperty("runtimeIdentifier").GetString(),
            rpi5.GetProperty("executionProvider").GetString(), rpi5.GetProperty("precision").GetString()));
        Assert.Contains(rpi5.GetProperty("validation").GetProperty("gates").EnumerateArray(), g => g.GetProperty("gate").GetString() == "MaxModelSize" && g.GetProperty("threshold").GetDouble() == 1);
        var shipped = Manifest(Path.Combine(project.OutputDirectory, "models", "Dense", "manifest.json"));
        Assert.Equal(("linux-x64", "int8-weight"), (shipped.GetProperty("target").GetString(), shipped.GetProperty("precision").GetString()));
        Assert.Equal(File.ReadAllBytes(Path.Combine(slm, "linux-x64", "model.onnx")), File.ReadAllBytes(Path.Combine(project.OutputDirectory, "models", "Dense", "model.onnx")));
        string report = File.ReadAllText(project.Path("obj/Debug/net10.0/slm/slm-report.md"));
        Assert.Contains("| linux-x64 | int8-weight |", report);
        Assert.Contains("| rpi5 | int4 |", report);
        project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();
        int invocations = project.Invocations.Length;

        string publish = project.Path("publish");
        // The same configuration as the build (publish defaults to Release, which has a folder of its own).
        project.Dotnet("publish", "-c", "Debug", "-r", "linux-arm64", "--self-contained", "false", "-p:UseAppHost=false", "-nr:false", "-p:UseSharedCompilation=false", "-o", publish).AssertSuccess();

        // Both variants were up to date: the publish prepares nothing and ships rpi5's, the one that runs under linux-arm64.
        Assert.Equal(invocations, project.Invocations.Length);
        Assert.Equal("rpi5", Manifest(Path.Combine(publish, "models", "Dense", "manifest.json")).GetProperty("target").GetString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(slm, "rpi5", "model.onnx")), File.ReadAllBytes(Path.Combine(publish, "models", "Dense", "model.onnx")));
        // As NuGet does for a RID: ONNX Runtime's arm64 native library only, beside the app (an aarch64 ELF file).
        Assert.Equal(0xB7, ElfMachine(Path.Combine(publish, "libonnxruntime.so")));
        Assert.False(Directory.Exists(Path.Combine(publish, "runtimes")));
        Assert.Equal(["Dense"], Directory.GetDirectories(Path.Combine(publish, "models")).Select(Path.GetFileName));
    }

    /// <summary>The <c>e_machine</c> field of an ELF file: 0x3E for x86-64, 0xB7 for AArch64.</summary>
    private static int ElfMachine(string path)
    {
        byte[] header = new byte[20];
        using (var file = File.OpenRead(path)) file.ReadExactly(header);
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, header[..4]);
        return BitConverter.ToUInt16(header, 18);
    }

    [Fact]
    public void A_self_contained_single_file_publish_keeps_the_model_and_ONNX_Runtime_as_files_beside_the_app_which_runs()
    {
        using var project = DenseProject("""
            <SlmTarget Include="linux-x64" Precision="int8-weight" />
            <SlmTarget Include="rpi5" />
            <SlmModel Include="models/dense.onnx" Name="Dense" BlockSize="16" MaxRelativeError="50%" />
            """);
        string publish = project.Path("single");

        project.Dotnet("publish", "-c", "Debug", "-r", "linux-x64", "--self-contained", "true", "-p:PublishSingleFile=true",
            "-nr:false", "-p:UseSharedCompilation=false", "-o", publish).AssertSuccess();

        // The app is one file; the model (its linux-x64 variant) and the native library stay files beside it.
        Assert.Equal(("linux-x64", "int8-weight"), (Manifest(Path.Combine(publish, "models", "Dense", "manifest.json")).GetProperty("target").GetString(),
            Manifest(Path.Combine(publish, "models", "Dense", "manifest.json")).GetProperty("precision").GetString()));
        Assert.Equal(0x3E, ElfMachine(Path.Combine(publish, "libonnxruntime.so")));
        Assert.False(File.Exists(Path.Combine(publish, "App.dll")));
        Assert.Contains("loaded", DotNet.Exec(publish, Path.Combine(publish, "App"), null).AssertSuccess().Output);
    }

    [Fact]
    public void Publishing_for_a_rid_no_target_runs_under_is_SLM1015()
    {
        using var project = DenseProject("""
            <SlmTarget Include="rpi5" />
            <SlmModel Include="models/dense.onnx" Name="Dense" BlockSize="16" />
            """);

        CommandResult build = project.Build("-p:RuntimeIdentifier=win-x64", "-p:UseAppHost=false", "--self-contained", "false");

        Assert.False(build.Succeeded, build.Output);
        Assert.Contains("error SLM1015: This build is for 'win-x64', and no SlmTarget is that RID or runs under it (the targets are rpi5 (linux-arm64)).", build.Output);
        Assert.Empty(project.Invocations);
    }

    [Fact]
    public void SlmOpsArtifactsPath_lays_out_every_target_for_CI_and_SlmOpsTargets_prepares_only_the_named_one()
    {
        using var project = DenseProject("""
            <SlmTarget Include="linux-x64" />
            <SlmTarget Include="rpi5" />
            <SlmModel Include="models/dense.onnx" Name="Dense" BlockSize="16" />
            """);

        project.Build("-p:SlmOpsArtifactsPath=artifacts/slm").AssertSuccess();

        string artifacts = project.Path("artifacts/slm");
        foreach (string target in new[] { "linux-x64", "rpi5" })
        {
            Assert.Equal(target, Manifest(Path.Combine(artifacts, target, "Dense", "manifest.json")).GetProperty("target").GetString());
            Assert.True(File.Exists(Path.Combine(artifacts, target, "Dense", "model.onnx")));
        }

        Assert.Contains("| rpi5 | int4 |", File.ReadAllText(Path.Combine(artifacts, "slm-report.md")));
        Assert.Empty(Directory.GetFiles(artifacts, "slmops.*", SearchOption.AllDirectories));

        // What samples/ci/github-actions.yml runs per device: only that target is prepared and laid out.
        using var job = DenseProject("""
            <SlmTarget Include="linux-x64" />
            <SlmTarget Include="rpi5" />
            <SlmModel Include="models/dense.onnx" Name="Dense" BlockSize="16" />
            """);
        job.Build("-p:SlmOpsTargets=rpi5", "-p:SlmOpsArtifactsPath=artifacts/slm").AssertSuccess();
        Assert.Equal(["rpi5"], Directory.GetDirectories(job.Path("artifacts/slm")).Select(Path.GetFileName));
        Assert.Equal("prepare 1 Dense", Assert.Single(job.Invocations));
        string workflow = File.ReadAllText(Path.Combine(RepoRootAttribute.Value, "samples", "ci", "github-actions.yml"));
        Assert.Contains("-p:SlmOpsTargets=${{ matrix.target }}", workflow);
        Assert.Contains("-p:SlmOpsArtifactsPath=${{ github.workspace }}/artifacts/slm", workflow);
        Assert.Contains("artifacts/slm/${{ matrix.target }}/", workflow);
        Assert.Contains("artifacts/slm/slm-report.md >> \"$GITHUB_STEP_SUMMARY\"", workflow);
    }
}
