using SlmOps.Testing;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace SlmOps.Build.Tasks.Tests;

public class ComputeOutputsTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly MockBuildEngine _engine = new();

    public void Dispose() => _dir.Dispose();

    private string Root => Path.Combine(_dir.FullPath, "obj", "slm");

    private SlmOpsComputeOutputs Task(params ITaskItem[] models) => new()
    {
        BuildEngine = _engine,
        Models = models,
        IntermediateDirectory = Root,
        Target = "linux-x64",
        ToolVersion = "1.0.0",
    };

    private TaskItem Model(string file, params (string Key, string Value)[] metadata)
    {
        string path = Path.Combine(_dir.FullPath, file);
        var item = new TaskItem(File.Exists(path) ? path : _dir.WriteFile(file));
        item.SetMetadata("Namespace", "App.Models");
        item.SetMetadata("Kind", "auto");
        foreach (var (key, value) in metadata)
        {
            item.SetMetadata(key, value);
        }

        return item;
    }

    /// <summary>Simulates a worker run: every expected output plus a deps file naming the inputs.</summary>
    private void WriteOutputs(ITaskItem resolved, params string[] extraInputs)
    {
        foreach (string key in new[] { "ContractFile", "VariantFile", "ManifestFile" })
        {
            string path = resolved.GetMetadata(key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, key);
        }

        var lines = new List<string> { "in\t" + resolved.GetMetadata("FullPath") };
        lines.AddRange(extraInputs.Select(i => "in\t" + i));
        lines.Add("out\t" + resolved.GetMetadata("VariantFile"));
        File.WriteAllLines(resolved.GetMetadata("DepsFile"), lines);
    }

    private static void Age(string path, int seconds) =>
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(-seconds));

    [Fact]
    public void Default_name_is_the_pascal_cased_file_name_and_paths_follow_the_layout()
    {
        var task = Task(Model("models/all-MiniLM-L6-v2.onnx"));

        Assert.True(task.Execute());

        ITaskItem resolved = Assert.Single(task.ResolvedModels);
        Assert.Equal("AllMiniLML6V2", resolved.GetMetadata("Name"));
        Assert.Equal(Path.Combine(Root, "AllMiniLML6V2", "contract.json"), resolved.GetMetadata("ContractFile"));
        Assert.Equal(Path.Combine(Root, "AllMiniLML6V2", "linux-x64", "model.onnx"), resolved.GetMetadata("VariantFile"));
        Assert.Single(task.StaleModels);
    }

    private static TaskItem Target(string name, params (string Key, string Value)[] metadata)
    {
        var item = new TaskItem(name);
        foreach (var (key, value) in metadata) item.SetMetadata(key, value);
        return item;
    }

    [Fact]
    public void Each_model_gets_a_variant_per_target_with_the_profile_settings_it_leaves_empty_and_only_the_build_rid_ships()
    {
        var task = Task(Model("models/a.onnx", ("BlockSize", "64")), Model("models/b.onnx", ("Precision", "int8-weight")));
        task.Targets = [Target("linux-x64"), Target("rpi5"), Target("kiosk", ("RuntimeIdentifier", "linux-arm64"), ("ExecutionProvider", "XNNPACK"), ("Precision", "fp16"))];

        Assert.True(task.Execute(), string.Join("\n", _engine.Errors.Select(e => e.Message)));

        Assert.Equal(6, task.ResolvedModels.Length);
        Assert.Equal(6, task.StaleModels.Length);
        var a = task.ResolvedModels.Where(m => m.GetMetadata("Name") == "A").ToDictionary(m => m.GetMetadata("SlmOpsTarget"));
        Assert.Equal(["linux-x64", "rpi5", "kiosk"], a.Keys);
        Assert.Equal(("", "64", "true"), (a["linux-x64"].GetMetadata("Precision"), a["linux-x64"].GetMetadata("BlockSize"), a["linux-x64"].GetMetadata("SlmOpsShip")));
        // rpi5: the profile's int4 and budget, the item's own block size; a variant folder of its own; not shipped by a linux-x64 build.
        Assert.Equal(("int4", "64", "1GB", "false"), (a["rpi5"].GetMetadata("Precision"), a["rpi5"].GetMetadata("BlockSize"), a["rpi5"].GetMetadata("MaxModelSize"), a["rpi5"].GetMetadata("SlmOpsShip")));
        Assert.Equal(("linux-arm64", ""), (a["rpi5"].GetMetadata("SlmOpsRuntimeIdentifier"), a["rpi5"].GetMetadata("SlmOpsExecutionProvider")));
        Assert.Equal(Path.Combine(Root, "A", "rpi5", "model.onnx"), a["rpi5"].GetMetadata("VariantFile"));
        Assert.Equal(("fp16", "linux-arm64", "xnnpack"), (a["kiosk"].GetMetadata("Precision"), a["kiosk"].GetMetadata("SlmOpsRuntimeIdentifier"), a["kiosk"].GetMetadata("SlmOpsExecutionProvider")));
        // The item's own metadata wins over every target's.
        Assert.All(task.ResolvedModels.Where(m => m.GetMetadata("Name") == "B"), m => Assert.Equal("int8-weight", m.GetMetadata("Precision")));
        // BlockSize is read by rpi5's int4, so no target-independent warning that it has no effect.
        Assert.Empty(_engine.Warnings);
    }

    [Fact]
    public void A_publish_for_a_rid_ships_the_target_that_runs_under_it_and_reprepares_nothing()
    {
        var build = Task(Model("models/a.onnx"));
        build.Targets = [Target("linux-x64"), Target("rpi5")];
        Assert.True(build.Execute());
        foreach (var item in build.ResolvedModels) WriteOutputs(item);
        foreach (var item in build.ResolvedModels) Age(item.GetMetadata("StampFile"), 60);

        var publish = Task(Model("models/a.onnx"));
        publish.Targets = [Target("linux-x64"), Target("rpi5")];
        publish.Target = "linux-arm64";
        publish.TargetRequested = true;
        Assert.True(publish.Execute());

        Assert.Equal("rpi5", Assert.Single(publish.ResolvedModels, m => m.GetMetadata("SlmOpsShip") == "true").GetMetadata("SlmOpsTarget"));
        Assert.Empty(publish.StaleModels);
    }

    [Fact]
    public void A_requested_rid_no_target_runs_under_is_SLM1015_and_a_target_that_is_no_rid_or_profile_SLM1016()
    {
        var missing = Task(Model("models/a.onnx"));
        missing.Targets = [Target("rpi5")];
        missing.Target = "win-x64";
        missing.TargetRequested = true;
        Assert.False(missing.Execute());
        Assert.Contains(_engine.Errors, e => e.Code == "SLM1015" && e.Message!.Contains("rpi5 (linux-arm64)") && e.Message!.Contains("<SlmTarget Include=\"win-x64\" />"));

        foreach (var target in new[] { Target("toaster"), Target("rpi5", ("ExecutionProvider", "warp-drive")), Target("../evil", ("RuntimeIdentifier", "linux-x64")) })
        {
            var bad = Task(Model("models/a.onnx"));
            bad.Targets = [target];
            Assert.False(bad.Execute());
            Assert.Empty(bad.ResolvedModels);
        }

        Assert.Equal(3, _engine.Errors.Count(e => e.Code == "SLM1016"));
        Assert.Contains(_engine.Errors, e => e.Message!.Contains("'toaster' is neither a runtime identifier nor a device profile (built in: rpi5, jetson-orin, x64-avx2, x64-vnni, win-arm64-npu; the project's: SlmTargetProfile items)"));
    }

    [Fact]
    public void SlmOpsTargets_prepares_only_the_named_targets_with_their_items_metadata()
    {
        var task = Task(Model("models/a.onnx"));
        task.Targets = [Target("linux-x64"), Target("rpi5", ("Precision", "int8-weight"))];
        task.TargetFilter = " rpi5 ; jetson-orin ";

        Assert.True(task.Execute());

        Assert.Equal(["rpi5", "jetson-orin"], task.ResolvedModels.Select(m => m.GetMetadata("SlmOpsTarget")));
        Assert.Equal(["int8-weight", "fp16"], task.ResolvedModels.Select(m => m.GetMetadata("Precision")));
        Assert.Equal("true", task.ResolvedModels[0].GetMetadata("SlmOpsShip"));
    }

    [Fact]
    public void Without_targets_the_build_target_is_the_only_one_and_ships()
    {
        var task = Task(Model("models/a.onnx"));

        Assert.True(task.Execute());

        var item = Assert.Single(task.ResolvedModels);
        Assert.Equal(("linux-x64", "true", ""), (item.GetMetadata("SlmOpsTarget"), item.GetMetadata("SlmOpsShip"), item.GetMetadata("SlmOpsRuntimeIdentifier")));
    }

    [Theory]
    [InlineData("Name", "2Fast", "SLM1001")]
    [InlineData("Name", "class", "SLM1001")]
    [InlineData("Name", "Run", "SLM1001")] // a member of every wrapper: the generator would refuse it (SLM9003)
    [InlineData("Name", "minilm", "SLM1001")] // lower-case ASCII only: reserved for C# keywords
    [InlineData("Namespace", "App.global", "SLM1004")]
    [InlineData("Kind", "speech", "SLM1002")]
    [InlineData("Namespace", "App..Models", "SLM1004")]
    [InlineData("Sha256", "abc", "SLM1007")]
    [InlineData("Version", "one", "SLM1017")]
    [InlineData("MinAppVersion", "2", "SLM1017")]
    [InlineData("Channel", "beta channel", "SLM1017")]
    public void Invalid_metadata_is_a_coded_error_naming_the_item(string key, string value, string code)
    {
        var task = Task(Model("models/m.onnx", (key, value)));

        Assert.False(task.Execute());

        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal(code, error.Code);
        Assert.Contains("models/m.onnx", error.Message!.Replace('\\', '/'));
        Assert.Empty(task.ResolvedModels);
    }

    [Theory]
    [InlineData("../shared")]
    [InlineData("/srv/models")]
    public void A_models_folder_outside_the_output_is_SLM1013_on_the_project_and_resolves_nothing(string folder)
    {
        var task = Task(Model("models/m.onnx"));
        task.ModelsFolder = folder;
        task.ProjectFile = Path.Combine(_dir.FullPath, "App.csproj");

        Assert.False(task.Execute());

        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal("SLM1013", error.Code);
        Assert.Equal(task.ProjectFile, error.File);
        Assert.Contains($"SlmOpsModelsFolder '{folder}'", error.Message);
        Assert.Empty(task.ResolvedModels);
        Assert.False(Directory.Exists(Root));
    }

    [Fact]
    public void Two_models_with_the_same_name_are_an_error()
    {
        var task = Task(Model("a/model.onnx"), Model("b/model.onnx"));

        Assert.False(task.Execute());

        Assert.Equal("SLM1003", Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public void Model_is_up_to_date_when_outputs_are_newer_than_every_input()
    {
        var first = Task(Model("m.onnx"));
        first.Execute();
        string external = _dir.WriteFile("m.onnx.data");
        Age(external, 60);
        Age(first.ResolvedModels[0].GetMetadata("FullPath"), 60);
        Age(first.ResolvedModels[0].GetMetadata("StampFile"), 60);
        WriteOutputs(first.ResolvedModels[0], external);

        var second = Task(Model("m.onnx"));
        Assert.True(second.Execute());

        Assert.True(second.StaleModels.Length == 0, string.Join("\n", _engine.Messages.Select(m => m.Message)));
        Assert.Single(second.ResolvedModels);
    }

    [Fact]
    public void Touching_external_data_makes_only_that_model_stale()
    {
        var first = Task(Model("a.onnx"), Model("b.onnx"));
        first.Execute();
        string external = _dir.WriteFile("a.onnx.data");
        foreach (var resolved in first.ResolvedModels)
        {
            Age(resolved.GetMetadata("FullPath"), 60);
            Age(resolved.GetMetadata("StampFile"), 60);
        }

        Age(external, 60);
        WriteOutputs(first.ResolvedModels[0], external);
        WriteOutputs(first.ResolvedModels[1]);
        File.SetLastWriteTimeUtc(external, DateTime.UtcNow.AddSeconds(5));

        var second = Task(Model("a.onnx"), Model("b.onnx"));
        second.Execute();

        Assert.Equal("A", Assert.Single(second.StaleModels).GetMetadata("Name"));
    }

    [Fact]
    public void Changing_metadata_rewrites_the_stamp_and_makes_the_model_stale()
    {
        var first = Task(Model("m.onnx"));
        first.Execute();
        string stamp = first.ResolvedModels[0].GetMetadata("StampFile");
        Age(first.ResolvedModels[0].GetMetadata("FullPath"), 60);
        Age(stamp, 60);
        WriteOutputs(first.ResolvedModels[0]);

        var unchanged = Task(Model("m.onnx"));
        unchanged.Execute();
        Assert.Empty(unchanged.StaleModels);

        var changed = Task(Model("m.onnx", ("Kind", "embedding")));
        changed.Execute();
        Assert.Single(changed.StaleModels);
        Assert.Contains("Kind=embedding", File.ReadAllText(stamp), StringComparison.Ordinal);
    }

    [Fact]
    public void Design_time_needs_only_the_contract_and_deps()
    {
        var first = Task(Model("m.onnx"));
        first.Execute();
        ITaskItem resolved = first.ResolvedModels[0];
        Age(resolved.GetMetadata("FullPath"), 60);
        Age(resolved.GetMetadata("StampFile"), 60);
        Directory.CreateDirectory(resolved.GetMetadata("VariantDirectory"));
        File.WriteAllText(resolved.GetMetadata("ContractFile"), "{}");
        File.WriteAllLines(resolved.GetMetadata("DepsFile"), new[] { "in\t" + resolved.GetMetadata("FullPath") });

        var designTime = Task(Model("m.onnx"));
        designTime.DesignTime = true;
        designTime.Execute();
        Assert.Empty(designTime.StaleModels);

        var real = Task(Model("m.onnx"));
        real.Execute();
        Assert.Single(real.StaleModels);
    }

    [Fact]
    public void Errors_are_reported_on_the_project_file_and_relative_ranges_resolve_against_its_folder()
    {
        string project = Path.Combine(_dir.FullPath, "App", "App.csproj");
        var task = Task(Model("a.onnx", ("Name", "2fast")), Model("b.onnx", ("CalibrationRanges", "ranges.json")));
        task.ProjectFile = project;

        Assert.False(task.Execute());

        Assert.Equal(project, Assert.Single(_engine.Errors).File);
        Assert.Equal(Path.Combine(_dir.FullPath, "App", "ranges.json"), Assert.Single(task.ResolvedModels).GetMetadata("CalibrationRanges"));
    }

    [Fact]
    public void An_unwritable_intermediate_folder_is_SLM1009_not_an_exception()
    {
        File.WriteAllText(Path.Combine(_dir.FullPath, "obj"), "a file where the obj folder should be");
        var task = Task(Model("a.onnx"));

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("SLM1009", error.Code);
        Assert.Contains("a.onnx", error.Message);
    }

    [Fact]
    public void A_misspelled_metadata_is_SLM1010_with_the_name_it_is_close_to()
    {
        var task = Task(Model("a.onnx", ("Precison", "int4"), ("Colour", "blue")));

        Assert.True(task.Execute());

        Assert.Collection(_engine.Warnings.OrderBy(w => w.Message, StringComparer.Ordinal),
            w => Assert.Equal(("SLM1010", false), (w.Code, w.Message!.Contains("Did you mean", StringComparison.Ordinal))),
            w => Assert.Equal(("SLM1010", true), (w.Code, w.Message!.Contains("Did you mean 'Precision'?", StringComparison.Ordinal))));
        Assert.All(_engine.Warnings, w => Assert.Equal("/src/App/App.csproj", w.File));
    }

    [Theory]
    [InlineData("fp16", "BlockSize", "64", true)]
    [InlineData("int4", "BlockSize", "64", false)]
    [InlineData("INT4", "BlockSize", "64", false)]
    [InlineData("int8", "Int8Weights", "signed", false)]
    [InlineData("int4", "Int8Weights", "signed", true)]
    [InlineData("int4", "ActivationType", "uint16", true)]
    [InlineData("fp32", "QuantizeExclude", "*head*", true)]
    [InlineData("fp16", "QuantizeExclude", "*head*", false)]
    [InlineData("int4", "BlockSize", "", false)]
    public void A_setting_its_precision_ignores_is_SLM1011(string precision, string key, string value, bool warns)
    {
        var task = Task(Model("a.onnx", ("Precision", precision), (key, value)));

        Assert.True(task.Execute());

        if (warns) Assert.Equal("SLM1011", Assert.Single(_engine.Warnings).Code);
        else Assert.Empty(_engine.Warnings);
    }

    [Fact]
    public void Selection_with_fp32_and_pruning_applies_and_ignored_metadata_do_not_warn()
    {
        var task = Task(Model("a.onnx", ("Prune", "0.5"), ("QuantizeExclude", "*head*"), ("MyToolSetting", "1")));
        task.IgnoredMetadata = " mytoolsetting ; Other";

        Assert.True(task.Execute());

        Assert.Empty(_engine.Warnings);
    }

    /// <summary>An SlmModelPackage item, and the .nupkg restore would have put in <c>packages/</c> for it.</summary>
    private TaskItem Package(string id, string version, string folderVersion, params (string Key, string Value)[] metadata)
    {
        string lower = id.ToLowerInvariant();
        _dir.WriteFile(Path.Combine("packages", lower, folderVersion, $"{lower}.{folderVersion}.nupkg"));
        var item = new TaskItem(id);
        item.SetMetadata("Version", version);
        item.SetMetadata("Namespace", "App.Models");
        foreach (var (key, value) in metadata) item.SetMetadata(key, value);
        return item;
    }

    [Theory]
    [InlineData("1.2.0", "1.2.0")]
    [InlineData("1.2", "1.2.0")]
    [InlineData("1.02.0.0", "1.2.0")]
    [InlineData("2.0.0-Beta.1+abc", "2.0.0-beta.1")]
    public void A_model_package_resolves_to_its_nupkg_in_the_packages_folder_once_per_target_named_after_its_ids_last_part(string version, string folder)
    {
        var task = Task();
        task.Packages = [Package("Contoso.Models.mini-lm", version, folder)];
        task.PackagesRoot = Path.Combine(_dir.FullPath, "packages");
        task.Targets = [Target("linux-x64"), Target("rpi5")];

        Assert.True(task.Execute(), string.Join("\n", _engine.Errors.Select(e => e.Message)));

        Assert.Equal(["linux-x64", "rpi5"], task.ResolvedModels.Select(m => m.GetMetadata("SlmOpsTarget")));
        Assert.All(task.ResolvedModels, m =>
        {
            Assert.Equal(Path.Combine(task.PackagesRoot, "contoso.models.mini-lm", folder, $"contoso.models.mini-lm.{folder}.nupkg"), m.ItemSpec);
            Assert.Equal(("MiniLm", "true", "auto"), (m.GetMetadata("Name"), m.GetMetadata("SlmOpsFromPackage"), m.GetMetadata("Kind")));
        });
        Assert.Equal(2, task.StaleModels.Length);
        Assert.Empty(_engine.Warnings);
    }

    [Fact]
    public void A_model_package_not_restored_is_SLM5005_and_its_settings_are_warned_about_as_they_have_no_effect()
    {
        var task = Task();
        var restored = Package("Contoso.Models.Dense", "1.0.0", "1.0.0", ("Precision", "int4"));
        task.Packages = [restored, new TaskItem("Contoso.Models.Other", new Dictionary<string, string> { ["Version"] = "3.0.0", ["Namespace"] = "App.Models" })];
        task.PackagesRoot = Path.Combine(_dir.FullPath, "packages");

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("SLM5005", error.Code);
        Assert.StartsWith("SlmModelPackage 'Contoso.Models.Other' 3.0.0 is not restored (", error.Message);
        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal("SLM1010", warning.Code);
        Assert.StartsWith("SlmModelPackage 'Contoso.Models.Dense': the metadata 'Precision' is not one the SDK knows, so it has no effect.", warning.Message);
    }

    [Fact]
    public void SlmTargetProfile_items_define_profiles_that_targets_name_and_change_built_in_ones_and_alone_prepare_nothing()
    {
        var task = Task(Model("models/a.onnx"));
        task.Profiles =
        [
            Target("kiosk", ("RuntimeIdentifier", "linux-arm64"), ("ExecutionProvider", "xnnpack"), ("Precision", "int8-weight"), ("MaxModelSize", "50MB")),
            Target("rpi5", ("MaxModelSize", "64MB")),
            Target("unused", ("RuntimeIdentifier", "linux-x64")),
        ];
        task.Targets = [Target("kiosk", ("MaxModelSize", "40MB")), Target("rpi5")];

        Assert.True(task.Execute(), string.Join("\n", _engine.Errors.Select(e => e.Message)));

        var a = task.ResolvedModels.ToDictionary(m => m.GetMetadata("SlmOpsTarget"));
        Assert.Equal(["kiosk", "rpi5"], a.Keys);
        // The target's own field over the project's profile; the project's rpi5 over the built-in one's budget.
        Assert.Equal(("int8-weight", "40MB", "linux-arm64", "xnnpack"), (a["kiosk"].GetMetadata("Precision"), a["kiosk"].GetMetadata("MaxModelSize"),
            a["kiosk"].GetMetadata("SlmOpsRuntimeIdentifier"), a["kiosk"].GetMetadata("SlmOpsExecutionProvider")));
        Assert.Equal(("int4", "64MB"), (a["rpi5"].GetMetadata("Precision"), a["rpi5"].GetMetadata("MaxModelSize")));
        Assert.Empty(_engine.Warnings);
    }

    [Fact]
    public void Without_targets_a_project_profile_named_as_the_build_target_applies_and_a_bad_profile_is_SLM1016()
    {
        var task = Task(Model("models/a.onnx"));
        task.Target = "kiosk";
        task.Profiles = [Target("kiosk", ("RuntimeIdentifier", "linux-arm64"), ("Precision", "int4"))];

        Assert.True(task.Execute());
        var only = Assert.Single(task.ResolvedModels);
        Assert.Equal(("kiosk", "int4", "linux-arm64"), (only.GetMetadata("SlmOpsTarget"), only.GetMetadata("Precision"), only.GetMetadata("SlmOpsRuntimeIdentifier")));

        var bad = Task(Model("models/a.onnx"));
        bad.Profiles = [Target("nowhere")];
        Assert.False(bad.Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("SLM1016", error.Code);
        Assert.StartsWith("SlmTargetProfile 'nowhere' is neither a runtime identifier nor a device profile", error.Message);
    }

    [Fact]
    public void The_source_is_recorded_relative_to_the_project_so_every_checkout_writes_the_same_manifest()
    {
        var task = Task(Model("models/a b.onnx"), Model("shared/b.onnx"));
        task.ProjectFile = Path.Combine(_dir.FullPath, "app", "App.csproj");

        Assert.True(task.Execute());

        Assert.Equal(["../models/a b.onnx", "../shared/b.onnx"], task.ResolvedModels.Select(m => m.GetMetadata("SlmOpsDisplayPath")));
        Assert.Equal("models/x.onnx", ProjectFiles.RelativePath(_dir.FullPath, Path.Combine(_dir.FullPath, "models", "x.onnx")));
    }
}
