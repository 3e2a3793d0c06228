using SlmOps.Testing;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace SlmOps.Build.Tasks.Tests;

public class CollectOutputsTests
{
    [Fact]
    public void Variant_files_get_links_under_models_name_and_bookkeeping_files_are_only_file_writes()
    {
        using var dir = new TempDirectory();
        string variantDir = Path.Combine(dir.FullPath, "slm", "MiniLm", "linux-x64") + Path.DirectorySeparatorChar;
        string contract = dir.WriteFile("slm/MiniLm/contract.json", "{}");
        string model = dir.WriteFile("slm/MiniLm/linux-x64/model.onnx");
        string data = dir.WriteFile("slm/MiniLm/linux-x64/weights/model.onnx.data");
        string manifest = dir.WriteFile("slm/MiniLm/linux-x64/manifest.json");
        string deps = Path.Combine(variantDir, "slmops.deps");
        File.WriteAllLines(deps, new[] { "in\t/src/model.onnx", "out\t" + contract, "out\t" + model, "out\t" + data, "out\t" + manifest, "out\t" + deps });
        var item = new TaskItem("model.onnx");
        item.SetMetadata("Name", "MiniLm");
        item.SetMetadata("VariantDirectory", variantDir);
        item.SetMetadata("ContractFile", contract);
        item.SetMetadata("DepsFile", deps);
        item.SetMetadata("StampFile", Path.Combine(variantDir, "slmops.stamp"));
        var task = new SlmOpsCollectOutputs { BuildEngine = new MockBuildEngine(), Models = new ITaskItem[] { item } };

        Assert.True(task.Execute());

        var links = task.VariantFiles.ToDictionary(i => i.ItemSpec, i => i.GetMetadata("Link").Replace('\\', '/'));
        Assert.Equal(
            new Dictionary<string, string>
            {
                [model] = "models/MiniLm/model.onnx",
                [data] = "models/MiniLm/weights/model.onnx.data",
                [manifest] = "models/MiniLm/manifest.json",
            },
            links);
        Assert.Equal(contract, Assert.Single(task.ContractFiles).ItemSpec);
        Assert.Contains(task.WrittenFiles, f => f.ItemSpec == deps);
        Assert.Contains(task.WrittenFiles, f => f.ItemSpec.EndsWith("slmops.stamp"));
    }
}
