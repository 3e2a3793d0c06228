using System.Text.Json;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace SlmOps.Build.Tasks.Tests;

public class RunWorkerTests
{
    [Fact]
    public void Diagnostic_lines_are_parsed_and_other_lines_are_not()
    {
        var diagnostic = WorkerDiagnostic.TryParse("##slmops\terror\tSLM2002\t/m/x.onnx\tnot an ONNX model\twith a tab");

        Assert.NotNull(diagnostic);
        Assert.Equal("error", diagnostic!.Kind);
        Assert.Equal("SLM2002", diagnostic.Code);
        Assert.Equal("/m/x.onnx", diagnostic.File);
        Assert.Equal("not an ONNX model\twith a tab", diagnostic.Message);
        Assert.Null(WorkerDiagnostic.TryParse("error SLM2002: looks like one but is not"));
        Assert.Null(WorkerDiagnostic.TryParse("##slmops\tfatal\tSLM2002\tf\tm"));
        Assert.Null(WorkerDiagnostic.TryParse("##slmops\terror\tSLM2002"));
    }

    [Fact]
    public void Worker_output_becomes_msbuild_errors_warnings_and_messages_with_code_and_file()
    {
        var engine = new MockBuildEngine();
        var task = new SlmOpsRunWorker { BuildEngine = engine };

        task.HandleOutputLine("##slmops\terror\tSLM2003\t/m/a.onnx\ttruncated", MessageImportance.Normal);
        task.HandleOutputLine("##slmops\twarning\tSLM2010\t/m/b.onnx\tsuspicious", MessageImportance.Normal);
        task.HandleOutputLine("##slmops\tinfo\tSLM3001\t/m/c.onnx\tleft untouched", MessageImportance.Normal);
        task.HandleOutputLine("prepared MiniLm in 0.4 s", MessageImportance.Normal);
        task.HandleOutputLine("##slmops\tsummary\t\t\tSlmOps: MiniLm (linux-x64): int4, 90.9 MB -> 55.1 MB, 0.31 s", MessageImportance.Normal);
        task.HandleOutputLine("##slmops\tprogress\t\t\tSlmOps: MiniLm (linux-x64): quantizing to int4, 5 s", MessageImportance.Normal);

        BuildErrorEventArgs error = Assert.Single(engine.Errors);
        Assert.Equal(("SLM2003", "/m/a.onnx", "truncated"), (error.Code, error.File, error.Message));
        BuildWarningEventArgs warning = Assert.Single(engine.Warnings);
        Assert.Equal(("SLM2010", "/m/b.onnx"), (warning.Code, warning.File));
        Assert.Contains(engine.Messages, m => m.Code == "SLM3001" && m.File == "/m/c.onnx");
        Assert.Contains(engine.Messages, m => m.Message == "prepared MiniLm in 0.4 s" && m.Importance == MessageImportance.Normal);
        Assert.Contains(engine.Messages, m => m.Message == "SlmOps: MiniLm (linux-x64): int4, 90.9 MB -> 55.1 MB, 0.31 s" && m.Importance == MessageImportance.High);
        Assert.Contains(engine.Messages, m => m.Message == "SlmOps: MiniLm (linux-x64): quantizing to int4, 5 s" && m.Importance == MessageImportance.High);
    }

    [Fact]
    public void A_missing_worker_is_a_coded_error()
    {
        var engine = new MockBuildEngine();
        var task = new SlmOpsRunWorker
        {
            BuildEngine = engine,
            Models = new ITaskItem[] { new TaskItem("m.onnx") },
            WorkerPath = "/nonexistent/slmops.dll",
            RequestFile = Path.Combine(Path.GetTempPath(), "unused.json"),
        };

        Assert.False(task.Execute());

        Assert.Equal("SLM1006", Assert.Single(engine.Errors).Code);
    }

    [Fact]
    public void Request_is_valid_json_with_every_field_the_worker_reads()
    {
        var item = new TaskItem("models/we\"ird name.onnx");
        item.SetMetadata("Name", "Weird");
        item.SetMetadata("Namespace", "App.Models");
        item.SetMetadata("Kind", "auto");
        item.SetMetadata("Sha256", "");
        item.SetMetadata("SlmOpsTarget", "linux-arm64");
        item.SetMetadata("ModelDirectory", "/obj/slm/Weird/");
        item.SetMetadata("VariantDirectory", "/obj/slm/Weird/linux-arm64/");

        string json = SlmOpsRunWorker.CreateRequest(new ITaskItem[] { item }, designTime: true);

        using var doc = JsonDocument.Parse(json);
        Assert.True(doc.RootElement.GetProperty("designTime").GetBoolean());
        JsonElement model = doc.RootElement.GetProperty("models")[0];
        Assert.Equal("models/we\"ird name.onnx", model.GetProperty("displayPath").GetString());
        Assert.Equal("Weird", model.GetProperty("name").GetString());
        Assert.Equal("App.Models", model.GetProperty("namespace").GetString());
        Assert.Equal("linux-arm64", model.GetProperty("target").GetString());
        Assert.Equal("/obj/slm/Weird/linux-arm64/", model.GetProperty("variantDirectory").GetString());
        Assert.True(Path.IsPathRooted(model.GetProperty("source").GetString()));
    }
}
