extern alias tasks;

using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SlmOps.Testing;
using TaskSettings = tasks::SlmOps.ModelSettings;

namespace SlmOps.Cli.Tests;

/// <summary>
/// The request as the SlmOpsRunWorker task writes it, read by the worker's reader: every field and every setting arrive
/// unchanged. A setting added to <see cref="ModelSettings"/> is covered here without touching the test.
/// </summary>
public sealed class ProtocolRoundTripTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_field_and_setting_the_task_writes_is_what_the_worker_reads()
    {
        var item = new TaskItem("models/we\"ird\\name.onnx");
        item.SetMetadata("Name", "Weird");
        item.SetMetadata("Namespace", "App.Models");
        item.SetMetadata("Kind", "embedding");
        item.SetMetadata("Sha256", new string('a', 64));
        item.SetMetadata("SlmOpsTarget", "rpi5");
        item.SetMetadata("SlmOpsRuntimeIdentifier", "linux-arm64");
        item.SetMetadata("SlmOpsExecutionProvider", "xnnpack");
        item.SetMetadata("ModelDirectory", _temp.Combine("obj", "slm", "Weird"));
        item.SetMetadata("VariantDirectory", _temp.Combine("obj", "slm", "Weird", "rpi5"));
        foreach (var setting in TaskSettings.All)
        {
            // A distinct value per setting, with the characters JSON must escape; AllowHardLinks must parse.
            item.SetMetadata(setting.Metadata, setting.Metadata == "AllowHardLinks" ? "true" : $"{setting.Key} \"v\"\t\\{setting.Metadata.Length}");
        }

        string path = _temp.Combine("request.json");
        File.WriteAllText(path, tasks::SlmOps.Build.Tasks.SlmOpsRunWorker.CreateRequest(new ITaskItem[] { item }, designTime: true, progressInterval: "2.5"));
        PrepareRequest request = PrepareRequest.Read(path);

        Assert.True(request.DesignTime);
        Assert.Equal(TimeSpan.FromSeconds(2.5), request.ProgressInterval);
        ModelRequest model = Assert.Single(request.Models);
        Assert.Equal(item.GetMetadata("FullPath"), model.Source);
        Assert.Equal(item.ItemSpec, model.DisplayPath);
        Assert.Equal(("Weird", "App.Models", "embedding", new string('a', 64), "rpi5"), (model.Name, model.Namespace, model.Kind, model.Sha256, model.Target.Name));
        Assert.Equal(("linux-arm64", "xnnpack", "arm64"), (model.Target.RuntimeIdentifier, model.Target.ExecutionProvider, model.Target.Architecture));
        Assert.Equal(item.GetMetadata("ModelDirectory") + Path.DirectorySeparatorChar, model.ModelDirectory);
        Assert.Equal(item.GetMetadata("VariantDirectory") + Path.DirectorySeparatorChar, model.VariantDirectory);
        Assert.True(model.AllowHardLinks);
        Assert.Equal(TaskSettings.All.Select(s => s.Key), ModelSettings.All.Select(s => s.Key));
        foreach (var setting in ModelSettings.All)
        {
            Assert.Equal(item.GetMetadata(setting.Metadata), model.Quantize[setting]);
        }
    }

    [Fact]
    public void A_setting_the_worker_does_not_know_is_refused_naming_it()
    {
        string path = _temp.Combine("request.json");
        File.WriteAllText(path, """{ "models": [ { "source": "m.onnx", "name": "M", "namespace": "N", "modelDirectory": "o", "variantDirectory": "o/v", "settings": { "precison": "int4" } } ] }""");

        var ex = Assert.Throws<FormatException>(() => PrepareRequest.Read(path));

        Assert.Contains("'precison'", ex.Message);
    }
}
