namespace SlmOps.Cli.Tests;

/// <summary>Runs slmops in-process with captured output and its own environment.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        /// <summary>The <c>##slmops</c> diagnostic lines (errors, warnings, infos), split into their five fields.</summary>
        public IReadOnlyList<string[]> Diagnostics => Lines.Where(l => l[1] is not (WorkerDiagnostic.Summary or WorkerDiagnostic.Progress)).ToList();

        /// <summary>The texts of the <c>##slmops</c> progress lines (a long step still running).</summary>
        public IReadOnlyList<string> Heartbeats => Lines.Where(l => l[1] == WorkerDiagnostic.Progress).Select(l => l[4]).ToList();

        /// <summary>The texts of the <c>##slmops</c> summary lines, one per prepared model.</summary>
        public IReadOnlyList<string> Summaries => Lines.Where(l => l[1] == WorkerDiagnostic.Summary).Select(l => l[4]).ToList();

        // Parsed by the task's own parser, as the five fields of the line.
        private IEnumerable<string[]> Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(WorkerDiagnostic.TryParse).OfType<WorkerDiagnostic>()
            .Select(d => new[] { WorkerDiagnostic.Prefix.TrimEnd('\t'), d.Kind, d.Code, d.File, d.Message });
    }

    public static Result Run(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = Program.Run(args, stdout, stderr, name => environment is not null && environment.TryGetValue(name, out var v) ? v : null);
        return new Result(exit, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>A model entry of a request file, with the output folders under a build's obj folder.</summary>
internal sealed record RequestModel(string Source, string Name, string ObjDirectory, string Kind = "auto", string Sha256 = "", string Target = "linux-x64",
    IReadOnlyDictionary<string, string>? Settings = null, bool FromPackage = false, string? RuntimeIdentifier = null, string TrustedSignersFrom = "")
{
    public string ModelDirectory => Path.Combine(ObjDirectory, "slm", Name) + Path.DirectorySeparatorChar;

    public string VariantDirectory => Path.Combine(ModelDirectory, Target) + Path.DirectorySeparatorChar;

    public string ContractPath => ModelDirectory + "contract.json";

    public string VariantModelPath => VariantDirectory + "model.onnx";

    public string ManifestPath => VariantDirectory + "manifest.json";

    public string DepsPath => VariantDirectory + "slmops.deps";

    public string VariantKeyPath => VariantDirectory + "slmops.key";

    public static string WriteRequest(string path, bool designTime, params RequestModel[] models) =>
        WriteRequest(path, designTime, progressInterval: null, models);

    public static string WriteRequest(string path, bool designTime, string? progressInterval, params RequestModel[] models) =>
        WriteRequest(path, designTime, progressInterval, reportDirectory: null, reportOf: [], models);

    /// <summary>Writes the request with the same writer the SlmOpsRunWorker task uses; a report of <paramref name="reportOf"/>'s manifests when <paramref name="reportDirectory"/> is given.</summary>
    public static string WriteRequest(string path, bool designTime, string? progressInterval, string? reportDirectory, RequestModel[] reportOf, params RequestModel[] models)
    {
        var request = new WorkerRequest { DesignTime = designTime, ProgressInterval = progressInterval ?? "", ReportDirectory = reportDirectory ?? "" };
        request.ReportManifests.AddRange(reportOf.Select(m => m.ManifestPath));
        foreach (var m in models)
        {
            var entry = new WorkerRequestModel
            {
                Source = m.Source,
                DisplayPath = "models/" + Path.GetFileName(m.Source),
                Name = m.Name,
                Namespace = "App.Models",
                Kind = m.Kind,
                Sha256 = m.Sha256,
                Target = m.Target,
                ModelDirectory = m.ModelDirectory,
                VariantDirectory = m.VariantDirectory,
                FromPackage = m.FromPackage,
                TrustedSignersFrom = m.TrustedSignersFrom,
                RuntimeIdentifier = m.RuntimeIdentifier ?? "",
            };
            foreach (var (key, value) in m.Settings ?? new Dictionary<string, string>())
                entry.Settings[ModelSettings.ByKey(key) ?? throw new ArgumentException($"'{key}' is not a setting.")] = value;
            request.Models.Add(entry);
        }

        File.WriteAllText(path, request.ToJson());
        return path;
    }
}
