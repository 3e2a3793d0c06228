using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SlmOps.Packaging;

namespace SlmOps.Cli;

/// <summary>
/// <c>slmops prepare &lt;request.json&gt;</c>: the worker side of the SlmOpsRunWorker task. One process handles every
/// stale model of a project build; a failing model is reported and the others still get prepared.
/// </summary>
internal static class PrepareCommand
{
    public static Command Create(CliContext context)
    {
        var request = new Argument<string>("request") { Description = "The request file written by the SlmOpsRunWorker task (see docs/design.md)." };
        var command = new Command("prepare", "Check models and write their contracts, variants, manifests and dependency files.") { request };
        command.SetAction(parseResult => Run(context, parseResult.GetValue(request)!));
        return command;
    }

    private static int Run(CliContext context, string requestPath)
    {
        var diagnostics = new DiagnosticWriter(context.Out);
        string fullRequestPath = Path.GetFullPath(requestPath);

        PrepareRequest request;
        try
        {
            request = PrepareRequest.Read(fullRequestPath);
        }
        catch (FormatException ex)
        {
            context.LogInvocation("prepare invalid-request " + fullRequestPath);
            diagnostics.Error(CliErrorCodes.BadRequest, fullRequestPath, ex.Message + " The request file is written by the SlmOps.Sdk targets; rebuild, and report a bug if it persists.");
            return Program.UsageError;
        }

        context.LogInvocation($"prepare {request.Models.Count} {string.Join(" ", request.Models.Select(m => m.Name))}".TrimEnd());

        using var heartbeat = new Heartbeat(diagnostics, request.DesignTime ? TimeSpan.Zero : request.ProgressInterval);
        var preparer = new ModelPreparer(diagnostics, Program.ToolVersion, heartbeat);
        foreach (var model in request.Models)
        {
            var stopwatch = Stopwatch.StartNew();
            heartbeat.Start($"{model.Name} ({model.Target})");
            bool prepared = preparer.Prepare(model, request.DesignTime);
            heartbeat.Stop();
            if (prepared && request.DesignTime)
                diagnostics.Progress($"SlmOps: {model.Name}: contract from {model.DisplayPath} in {stopwatch.ElapsedMilliseconds} ms");
        }

        if (!request.DesignTime && request.Report is { } report) WriteReport(report, preparer, diagnostics);
        return diagnostics.ErrorCount > 0 ? Program.Failed : Program.Success;
    }

    /// <summary>
    /// The validation report over every model of the project: this run's results for the models it prepared (a
    /// variant stopped by a failed check included), the manifests of the others as they are on disk.
    /// </summary>
    private static void WriteReport(ReportRequest report, ModelPreparer preparer, DiagnosticWriter diagnostics)
    {
        var entries = new List<ReportEntry>();
        foreach (string manifest in report.Manifests.Distinct(StringComparer.Ordinal))
        {
            if (preparer.Reported.TryGetValue(manifest, out var entry))
            {
                entries.Add(entry);
                continue;
            }

            try
            {
                // A model that failed to prepare in this run has no manifest: its errors are in the build log.
                if (!File.Exists(manifest)) continue;
                VariantManifest read = VariantManifest.Read(File.ReadAllText(manifest));
                // What validation measured on this machine when it made the variant, kept beside the manifest.
                string measurements = Path.Combine(Path.GetDirectoryName(manifest)!, WorkerFiles.Measurements);
                if (File.Exists(measurements)) read = read.WithMeasurements(File.ReadAllText(measurements));
                entries.Add(new ReportEntry(read, Shipped: true));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                diagnostics.Warning(CliErrorCodes.ReportIncomplete, manifest, $"The validation report leaves this variant out: its manifest cannot be read ({ex.Message}). Rebuild the project to write it again.");
            }
        }

        try
        {
            new ValidationReport(entries, Program.ToolVersion, RuntimeInformation.RuntimeIdentifier).WriteTo(report.Directory, AtomicFile.WriteAllText);
            diagnostics.Progress($"SlmOps: validation report: {Path.Combine(report.Directory, ValidationReport.HtmlFile)}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Error(SlmOps.Onnx.OnnxErrorCodes.FileAccessFailed, report.Directory,
                $"The validation report cannot be written: {ex.Message} Check that the obj folder is writable and the disk is not full.");
        }
    }
}
