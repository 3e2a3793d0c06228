using System.CommandLine;
using System.Diagnostics;

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

        return diagnostics.ErrorCount > 0 ? Program.Failed : Program.Success;
    }
}
