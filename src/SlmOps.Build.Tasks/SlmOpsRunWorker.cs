using System;
using System.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace SlmOps.Build.Tasks
{
    /// <summary>
    /// Runs the <c>slmops</c> worker once for all stale models of the project, as Grpc.Tools runs protoc: the heavy
    /// dependencies (ONNX parsing, quantization, ONNX Runtime) stay out of the MSBuild node. The request goes in a
    /// JSON file; the worker's diagnostic lines become MSBuild errors and warnings with SLM codes and file paths.
    /// </summary>
    public sealed class SlmOpsRunWorker : ToolTask
    {
        /// <summary>The stale models, as resolved by <see cref="SlmOpsComputeOutputs"/>.</summary>
        [Required]
        public ITaskItem[] Models { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>The worker assembly (<c>slmops.dll</c>), run with the same dotnet host that runs the build.</summary>
        [Required]
        public string WorkerPath { get; set; } = "";

        /// <summary>Where to write the request. Kept after the build, so a failing run can be replayed by hand.</summary>
        [Required]
        public string RequestFile { get; set; } = "";

        /// <summary>The project file, <c>$(MSBuildProjectFullPath)</c>, that errors are reported on (<see cref="ProjectFiles.Of"/>).</summary>
        public string ProjectFile { get; set; } = "";

        /// <summary>Seconds between "still running" lines on a long step (<c>$(SlmOpsProgressInterval)</c>); 0 turns them off; empty: 5.</summary>
        public string ProgressInterval { get; set; } = "";

        /// <summary>
        /// Every model of the project (<see cref="SlmOpsComputeOutputs.ResolvedModels"/>), stale or not: the validation
        /// report in <see cref="ReportDirectory"/> covers them all. Empty: no report.
        /// </summary>
        public ITaskItem[] ReportModels { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>Where the worker writes <c>slm-report.json</c>, <c>.md</c> and <c>.html</c>: <c>obj/…/slm/</c>.</summary>
        public string ReportDirectory { get; set; } = "";

        /// <summary>Only contracts are needed in design-time builds.</summary>
        public bool DesignTime { get; set; }

        /// <summary>
        /// The folder in the build output that holds one folder per model (<c>$(OutDir)$(SlmOpsModelsFolder)</c>, full
        /// path). A model that fails to prepare has its folder there removed, so the app cannot run an outdated variant.
        /// </summary>
        public string OutputModelsDirectory { get; set; } = "";

        protected override string ToolName => IsWindows ? "dotnet.exe" : "dotnet";

        protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.Normal;

        private static bool IsWindows => Path.DirectorySeparatorChar == '\\';

        public override bool Execute()
        {
            if (!File.Exists(WorkerPath))
            {
                Log.LogError(null, "SLM1006", null, WorkerPath, 0, 0, 0, 0,
                    $"The slmops worker '{WorkerPath}' does not exist. Restore the SlmOps.Sdk package again, or set SlmOpsWorkerPath to a built slmops.dll.");
                return false;
            }

            try
            {
                FileCommit.WriteAllText(RequestFile, CreateRequest(Models, DesignTime, ProgressInterval, DesignTime ? "" : ReportDirectory, ReportModels));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.LogError(null, "SLM1009", null, ProjectFiles.Of(ProjectFile, BuildEngine), 0, 0, 0, 0,
                    $"The SDK cannot write the worker's request '{RequestFile}': {ex.Message} Check that the obj folder is writable and the disk is not full, then build again.");
                return false;
            }

            DateTime?[] depsBefore = Array.ConvertAll(Models, m => LastWrite(m.GetMetadata("DepsFile")));
            bool succeeded = base.Execute();
            if (!succeeded && !DesignTime)
            {
                RemoveOutdatedVariants(depsBefore);
            }

            return succeeded;
        }

        /// <summary>
        /// After a failed run, every model the worker did not prepare in this run (its deps file is gone or was not
        /// rewritten) loses its folder in the build output: the worker has already discarded its outputs under obj/, and
        /// the copy in bin/ would otherwise keep running, unseen, until the build is fixed. The next successful build
        /// copies the variant again.
        /// </summary>
        private void RemoveOutdatedVariants(DateTime?[] depsBefore)
        {
            if (OutputModelsDirectory.Length == 0)
            {
                return;
            }

            for (int i = 0; i < Models.Length; i++)
            {
                ITaskItem model = Models[i];
                DateTime? depsAfter = LastWrite(model.GetMetadata("DepsFile"));
                if (depsAfter is not null && depsAfter != depsBefore[i])
                {
                    continue;
                }

                // Name is a C# identifier (checked by SlmOpsComputeOutputs), so this stays inside the models folder.
                string name = model.GetMetadata("Name");
                string folder = Path.Combine(OutputModelsDirectory, name) + Path.DirectorySeparatorChar;
                if (name.Length == 0 || !Directory.Exists(folder))
                {
                    continue;
                }

                try
                {
                    Directory.Delete(folder, recursive: true);
                    Log.LogMessage(MessageImportance.High,
                        $"SlmOps: removed the previous variant of {name} from '{folder}': its preparation failed, and the app must not run an outdated model. It is copied again when the build succeeds.");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Log.LogError(null, "SLM1009", null, ProjectFiles.Of(ProjectFile, BuildEngine), 0, 0, 0, 0,
                        $"SlmModel '{model.ItemSpec}' failed to prepare, and the SDK cannot remove its previous variant '{folder}' from the build output: {ex.Message} Delete the folder by hand, or the app will run the outdated model.");
                }
            }
        }

        private static DateTime? LastWrite(string path) => File.Exists(path) ? File.GetLastWriteTimeUtc(path) : (DateTime?)null;

        /// <summary>
        /// The dotnet host that runs this build (the CLI sets DOTNET_HOST_PATH for MSBuild), so the worker runs on the
        /// same runtime; otherwise the first dotnet on PATH.
        /// </summary>
        protected override string GenerateFullPathToTool()
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host))
            {
                return host!;
            }

            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                string candidate = Path.Combine(dir.Trim('"'), ToolName);
                if (dir.Length > 0 && File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return ToolName;
        }

        protected override string GenerateCommandLineCommands()
        {
            var builder = new CommandLineBuilder();
            builder.AppendSwitch("exec");
            builder.AppendFileNameIfNotNull(WorkerPath);
            builder.AppendSwitch("prepare");
            builder.AppendFileNameIfNotNull(RequestFile);
            return builder.ToString();
        }

        protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance) =>
            HandleOutputLine(singleLine, messageImportance);

        internal void HandleOutputLine(string singleLine, MessageImportance messageImportance)
        {
            WorkerDiagnostic? diagnostic = WorkerDiagnostic.TryParse(singleLine);
            if (diagnostic is null)
            {
                Log.LogMessage(messageImportance, singleLine);
                return;
            }

            switch (diagnostic.Kind)
            {
                case WorkerDiagnostic.Error:
                    Log.LogError(null, diagnostic.Code, null, diagnostic.File, 0, 0, 0, 0, diagnostic.Message);
                    break;
                case WorkerDiagnostic.Warning:
                    Log.LogWarning(null, diagnostic.Code, null, diagnostic.File, 0, 0, 0, 0, diagnostic.Message);
                    break;
                case WorkerDiagnostic.Summary:
                case WorkerDiagnostic.Progress:
                    // High importance: the console logger shows it from -v:m on (CI logs, redirected output), the terminal
                    // logger from -v:d on, so a build that did work says what it did and a long step says it is running.
                    Log.LogMessage(MessageImportance.High, diagnostic.Message);
                    break;
                default:
                    Log.LogMessage(null, diagnostic.Code, null, diagnostic.File, 0, 0, 0, 0, MessageImportance.Low, diagnostic.Message);
                    break;
            }
        }

        protected override bool HandleTaskExecutionErrors()
        {
            if (!Log.HasLoggedErrors)
            {
                Log.LogError(null, "SLM1006", null, WorkerPath, 0, 0, 0, 0,
                    $"The slmops worker exited with code {ExitCode} without reporting an error. Run the build with -v:n to see its output; the request is in '{RequestFile}'.");
            }

            return false;
        }

        internal static string CreateRequest(ITaskItem[] models, bool designTime, string progressInterval = "", string reportDirectory = "", ITaskItem[]? reportModels = null)
        {
            var request = new WorkerRequest { DesignTime = designTime, ProgressInterval = progressInterval, ReportDirectory = reportDirectory };
            foreach (ITaskItem m in reportModels ?? Array.Empty<ITaskItem>())
            {
                request.ReportManifests.Add(m.GetMetadata("ManifestFile"));
            }

            foreach (ITaskItem m in models)
            {
                var model = new WorkerRequestModel
                {
                    Source = m.GetMetadata("FullPath"),
                    FromPackage = m.GetMetadata("SlmOpsFromPackage") == "true",
                    TrustedSignersFrom = m.GetMetadata("SlmOpsTrustedSignersFrom"),
                    // Relative to the project (ComputeOutputs), so that the manifest is the same in every checkout.
                    DisplayPath = m.GetMetadata("SlmOpsDisplayPath") is { Length: > 0 } display ? display : m.ItemSpec,
                    Name = m.GetMetadata("Name"),
                    Namespace = m.GetMetadata("Namespace"),
                    Kind = m.GetMetadata("Kind"),
                    Sha256 = m.GetMetadata("Sha256"),
                    Target = m.GetMetadata("SlmOpsTarget"),
                    RuntimeIdentifier = m.GetMetadata("SlmOpsRuntimeIdentifier"),
                    ExecutionProvider = m.GetMetadata("SlmOpsExecutionProvider"),
                    ModelDirectory = m.GetMetadata("ModelDirectory"),
                    VariantDirectory = m.GetMetadata("VariantDirectory"),
                };

                // The settings pass as the project wrote them; the worker validates them.
                foreach (ModelSetting setting in ModelSettings.All)
                {
                    model.Settings[setting] = m.GetMetadata(setting.Metadata);
                }

                request.Models.Add(model);
            }

            return request.ToJson();
        }
    }
}
