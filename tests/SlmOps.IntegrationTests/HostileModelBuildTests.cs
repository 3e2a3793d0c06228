using System.Security;
using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// The crafted models of <see cref="HostileModels"/> through a real <c>dotnet build</c>: every one gives its coded error
/// on its own file (one worker run reports them all), nothing of it reaches bin/, and what is fine builds.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class HostileModelBuildTests(SdkPackageFixture sdk)
{
    [Fact]
    public void Every_hostile_model_fails_the_build_with_its_code_on_its_file_in_fp32_and_int4()
    {
        using var project = new TestProject(sdk);
        var items = new List<string>();
        var expected = new List<(string Name, string Code, string Folder)>();
        int i = 0;
        foreach (var (kind, code) in HostileModels.ExpectedCode)
        {
            if (code is null) continue;
            foreach (string precision in new[] { "fp32", "int4" })
            {
                string folder = project.Path($"models/m{i}");
                HostileModels.Write(kind, folder);
                string name = $"M{i++}";
                items.Add($"""<SlmModel Include="{SecurityElement.Escape(Path.Combine(folder, "model.onnx"))}" Name="{name}" Precision="{precision}" BlockSize="16" />""");
                expected.Add((name, code, folder));
            }
        }
        project.WriteProject(string.Join("\n", items));
        project.WriteProgram("""Console.WriteLine("never runs");""");

        CommandResult build = project.Build();

        Assert.False(build.Succeeded, build.Output);
        var errors = build.Output.Split('\n').Where(l => l.Contains(": error SLM", StringComparison.Ordinal)).Distinct().ToList();
        foreach (var (name, code, folder) in expected)
        {
            Assert.True(errors.Any(l => l.Contains($"error {code}", StringComparison.Ordinal) && l.TrimStart().StartsWith(folder, StringComparison.Ordinal)),
                $"{name} ({folder}): no {code} on its file in\n{build.Output}");
            Assert.False(Directory.Exists(Path.Combine(project.OutputDirectory, "models", name)));
        }
        Assert.DoesNotContain(errors, l => l.Contains("SLM1006", StringComparison.Ordinal) || l.Contains("SLM1008", StringComparison.Ordinal));
    }

    [Fact]
    public void Zero_size_weights_and_allowed_hard_links_build_and_ship()
    {
        using var project = new TestProject(sdk);
        HostileModels.Write("zero-size-weight", project.Path("models/empty"));
        HostileModels.Write("hard-link-outside", project.Path("models/linked"));
        project.WriteProject("""
            <SlmModel Include="models/empty/model.onnx" Name="Empty" Precision="int4" />
            <SlmModel Include="models/linked/model.onnx" Name="Linked" />
            """, properties: "<SlmOpsAllowHardLinks>true</SlmOpsAllowHardLinks>");
        project.WriteProgram("""Console.WriteLine(App.Models.Empty.Load() is not null && App.Models.Linked.Load() is not null);""");

        project.Build().AssertSuccess();

        Assert.True(File.Exists(Path.Combine(project.OutputDirectory, "models", "Empty", "model.onnx")));
        Assert.Equal(File.ReadAllBytes(project.Path("models/linked/b.bin")), File.ReadAllBytes(Path.Combine(project.OutputDirectory, "models", "Linked", "b.bin")));
    }

    [Theory]
    [InlineData("model.onnx")]
    [InlineData("manifest.json")]
    [InlineData("slmops.deps")]
    [InlineData("slmops.stamp")]
    public void An_fp32_model_whose_external_data_takes_an_SDK_file_name_fails_with_SLM2010_and_ships_nothing(string location)
    {
        using var project = new TestProject(sdk);
        string models = project.Path("models");
        string source = OnnxModelFactory.WriteWithExternalData(models, "source.onnx", m =>
            OnnxModelFactory.MakeExternal(m.Graph.Initializer.Single(t => t.Name == "W"), location, 0, 48));
        File.WriteAllBytes(Path.Combine(models, location), OnnxModelFactory.FloatBytes(OnnxModelFactory.Weights));
        project.WriteProject("""<SlmModel Include="models/source.onnx" Name="Linear" />""");
        project.WriteProgram("""Console.WriteLine("never runs");""");

        CommandResult build = project.Build();

        Assert.False(build.Succeeded, build.Output);
        Assert.True(build.Output.Split('\n').Any(l => l.TrimStart().StartsWith(source, StringComparison.Ordinal) && l.Contains("error SLM2010", StringComparison.Ordinal)), build.Output);
        Assert.False(Directory.Exists(Path.Combine(project.OutputDirectory, "models", "Linear")));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_read_only_obj_folder_is_SLM1009_on_the_project_not_MSB4018()
    {
        using var project = new TestProject(sdk);
        OnnxModelFactory.Write(project.Path("models"), "linear.onnx");
        project.WriteProject("""<SlmModel Include="models/linear.onnx" />""");
        project.WriteProgram("""Console.WriteLine("never runs");""");
        string slm = project.Path("obj/Debug/net10.0/slm");
        Directory.CreateDirectory(slm);
        using var readOnly = ReadOnlyFolder.Make(slm);

        CommandResult build = project.Build();

        Assert.False(build.Succeeded, build.Output);
        Assert.DoesNotContain("MSB4018", build.Output);
        Assert.True(build.Output.Split('\n').Any(l => l.TrimStart().StartsWith(project.Path("App.csproj"), StringComparison.Ordinal) && l.Contains("error SLM1009", StringComparison.Ordinal)), build.Output);
    }
}

/// <summary>
/// Makes a folder unwritable until disposed. Root ignores permission bits, so as root the folder is made immutable
/// (chattr +i) instead.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ReadOnlyFolder : IDisposable
{
    private readonly string _path;
    private readonly bool _immutable;

    private ReadOnlyFolder(string path, bool immutable)
    {
        _path = path;
        _immutable = immutable;
    }

    public static ReadOnlyFolder Make(string path)
    {
        bool root = Environment.UserName == "root";
        if (root) HostileModels.Run("chattr", "+i", path);
        else File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return new ReadOnlyFolder(path, root);
    }

    public void Dispose()
    {
        if (_immutable) HostileModels.Run("chattr", "-i", _path);
        else File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
