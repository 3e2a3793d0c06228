using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SlmOps.Contracts;

namespace SlmOps.Build.Tasks
{
    /// <summary>
    /// Resolves every <c>SlmModel</c> item (default name, validated metadata, output paths) and decides which ones are
    /// stale. Runs in-process and touches no model bytes, so an up-to-date build costs a few file time stamps and starts
    /// no worker.
    /// </summary>
    public sealed class SlmOpsComputeOutputs : Task
    {
        /// <summary>The <c>SlmModel</c> items.</summary>
        [Required]
        public ITaskItem[] Models { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>Absolute folder for all SlmOps intermediate outputs, <c>$(IntermediateOutputPath)slm/</c>.</summary>
        [Required]
        public string IntermediateDirectory { get; set; } = "";

        /// <summary>The target the variant is made for: a RID such as <c>linux-x64</c>.</summary>
        [Required]
        public string Target { get; set; } = "";

        /// <summary>The worker assembly. A newer worker makes every model stale, as a new compiler would.</summary>
        public string WorkerPath { get; set; } = "";

        /// <summary>Recorded in the metadata stamp so that a tool upgrade reruns every model.</summary>
        public string ToolVersion { get; set; } = "";

        /// <summary>Design-time (IDE) builds only need the contract, which the generator reads.</summary>
        public bool DesignTime { get; set; }

        /// <summary>
        /// The project file, <c>$(MSBuildProjectFullPath)</c>: errors about items are reported on it and relative metadata
        /// paths resolve against its folder (<see cref="ProjectFiles.Of"/>).
        /// </summary>
        public string ProjectFile { get; set; } = "";

        /// <summary>
        /// <c>$(SlmOpsIgnoredMetadata)</c>: <c>;</c>-separated metadata names that other tools own, so an item may carry
        /// them without the SLM1010 warning for metadata the SDK does not know.
        /// </summary>
        public string IgnoredMetadata { get; set; } = "";

        /// <summary><c>$(SlmOpsModelsFolder)</c>: where in the output the models go, and where the generated <c>Load()</c> looks.</summary>
        public string ModelsFolder { get; set; } = ModelRules.DefaultModelsFolder;

        /// <summary>Every model, with resolved metadata (Name, Namespace, Kind) and output paths.</summary>
        [Output]
        public ITaskItem[] ResolvedModels { get; private set; } = Array.Empty<ITaskItem>();

        /// <summary>The subset of <see cref="ResolvedModels"/> that the worker must prepare.</summary>
        [Output]
        public ITaskItem[] StaleModels { get; private set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            var resolved = new List<ITaskItem>();
            var stale = new List<ITaskItem>();
            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var ignored = new HashSet<string>(IgnoredMetadata.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries).Select(n => n.Trim()), StringComparer.OrdinalIgnoreCase);
            string? folderProblem = ModelRules.ModelsFolderProblem(ModelsFolder);
            if (folderProblem is not null)
            {
                return Error("SLM1013", $"SlmOpsModelsFolder '{ModelsFolder}' cannot hold the models: {folderProblem}. Set it to a folder relative to the output directory, such as 'models' or 'assets/models'.");
            }

            foreach (ITaskItem model in Models)
            {
                ITaskItem? item;
                string reason;
                try
                {
                    item = Resolve(model, names, ignored, out ModelLayout layout);
                    if (item is null)
                    {
                        continue;
                    }

                    reason = StaleReason(item, layout);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Error("SLM1009", $"SlmModel '{model.ItemSpec}': the SDK cannot read or write its files under '{IntermediateDirectory}': {ex.Message} Check that the obj folder is writable and the disk is not full, then build again.");
                    continue;
                }

                resolved.Add(item);
                if (reason.Length > 0)
                {
                    Log.LogMessage(MessageImportance.Low, $"SlmOps: '{item.GetMetadata("Name")}' must be prepared: {reason}.");
                    stale.Add(item);
                }
                else
                {
                    Log.LogMessage(MessageImportance.Low, $"SlmOps: '{item.GetMetadata("Name")}' is up to date.");
                }
            }

            ResolvedModels = resolved.ToArray();
            StaleModels = stale.ToArray();
            return !Log.HasLoggedErrors;
        }

        private ITaskItem? Resolve(ITaskItem model, Dictionary<string, string> names, ICollection<string> ignored, out ModelLayout layout)
        {
            string source = model.GetMetadata("FullPath");
            string name = model.GetMetadata("Name");
            if (name.Length == 0)
            {
                name = ModelRules.ToPascalCase(Path.GetFileNameWithoutExtension(source), "_");
            }

            string ns = model.GetMetadata("Namespace");
            string kind = model.GetMetadata("Kind");
            if (kind.Length == 0)
            {
                kind = ModelKinds.Auto;
            }

            string sha = ModelRules.NormalizeSha256(model.GetMetadata("Sha256"));
            bool ok = true;

            if (ModelRules.ClassNameProblem(name) is string nameProblem)
            {
                ok = Error("SLM1001", $"SlmModel '{model.ItemSpec}': Name '{name}' is not a valid class name for the generated wrapper: {nameProblem}. Set the Name metadata to an identifier such as 'MiniLm'.");
            }

            if (ModelRules.NamespaceProblem(ns) is string namespaceProblem)
            {
                ok = Error("SLM1004", $"SlmModel '{model.ItemSpec}': Namespace '{ns}' is not a valid C# namespace: {namespaceProblem}. Set the Namespace metadata (default: $(RootNamespace).Models).");
            }

            if (!ModelKinds.IsKnown(kind))
            {
                ok = Error("SLM1002", $"SlmModel '{model.ItemSpec}': Kind '{kind}' is not supported. Use auto, generic, embedding or causal-lm.");
            }

            if (sha.Length > 0 && !ModelRules.IsSha256(sha))
            {
                ok = Error("SLM1007", $"SlmModel '{model.ItemSpec}': Sha256 '{sha}' is not a SHA-256 hash. Give 64 hexadecimal digits, or remove the metadata.");
            }

            if (names.TryGetValue(name, out string? other))
            {
                ok = Error("SLM1003", $"SlmModel '{model.ItemSpec}' and '{other}' both have the Name '{name}'. Give one of them another Name metadata.");
            }
            else
            {
                names.Add(name, model.ItemSpec);
            }

            foreach (var (code, message) in ItemMetadata.Check(model.ItemSpec, model.CloneCustomMetadata().Keys.Cast<string>(), model.GetMetadata, ignored))
            {
                Log.LogWarning(null, code, null, ProjectFileOrNode, 0, 0, 0, 0, message);
            }

            layout = new ModelLayout(IntermediateDirectory, name, Target);
            if (!ok)
            {
                return null;
            }

            var item = new TaskItem(model);
            foreach (string pathMetadata in new[] { "CalibrationRanges", "SampleData", "Tokenizer" })
            {
                string relative = model.GetMetadata(pathMetadata);
                if (relative.Length > 0)
                {
                    // Relative to the project file, like the item itself; the worker may run in another folder.
                    string projectDirectory = Path.GetDirectoryName(ProjectFileOrNode) ?? "";
                    item.SetMetadata(pathMetadata, Path.GetFullPath(Path.Combine(projectDirectory, relative)));
                }
            }

            item.SetMetadata("Name", name);
            item.SetMetadata("Namespace", ns);
            item.SetMetadata("Kind", kind);
            item.SetMetadata("Sha256", sha);
            item.SetMetadata("SlmOpsTarget", Target);
            item.SetMetadata("ModelDirectory", layout.ModelDirectory);
            item.SetMetadata("VariantDirectory", layout.VariantDirectory);
            item.SetMetadata("ContractFile", layout.ContractFile);
            item.SetMetadata("VariantFile", layout.VariantFile);
            item.SetMetadata("ManifestFile", layout.ManifestFile);
            item.SetMetadata("DepsFile", layout.DepsFile);
            item.SetMetadata("StampFile", layout.StampFile);
            WriteStampIfChanged(layout.StampFile, model, item);
            return item;
        }

        /// <summary>Why the model must be prepared, or an empty string when its outputs are up to date.</summary>
        private string StaleReason(ITaskItem item, ModelLayout layout)
        {
            DateTime oldestOutput = DateTime.MaxValue;
            foreach (string output in layout.ExpectedOutputs(DesignTime))
            {
                if (!File.Exists(output))
                {
                    return $"'{output}' does not exist";
                }

                DateTime time = File.GetLastWriteTimeUtc(output);
                if (time < oldestOutput)
                {
                    oldestOutput = time;
                }
            }

            DepsFile? deps = DepsFile.TryRead(layout.DepsFile);
            if (deps is null)
            {
                return $"'{layout.DepsFile}' does not exist";
            }

            var inputs = new List<string> { item.GetMetadata("FullPath"), layout.StampFile };
            if (WorkerPath.Length > 0)
            {
                inputs.Add(WorkerPath);
            }

            inputs.AddRange(deps.Inputs);
            foreach (string input in inputs)
            {
                if (!File.Exists(input))
                {
                    return $"input '{input}' does not exist";
                }

                if (File.GetLastWriteTimeUtc(input) > oldestOutput)
                {
                    return $"'{input}' is newer than the outputs";
                }
            }

            return "";
        }

        /// <summary>
        /// The stamp records the item's metadata and the tool version. It is rewritten only when they change, so its
        /// time stamp tells whether the metadata changed since the last run, as MSBuild has no other way to know.
        /// </summary>
        private void WriteStampIfChanged(string stampFile, ITaskItem original, ITaskItem resolved)
        {
            var text = new StringBuilder();
            text.Append("tool=").Append(ToolVersion).Append('\n');
            text.Append("source=").Append(resolved.GetMetadata("FullPath")).Append('\n');
            var metadata = original.CloneCustomMetadata();
            var keys = metadata.Keys.Cast<string>().ToList();
            keys.Sort(StringComparer.Ordinal);
            foreach (string key in keys)
            {
                text.Append(key).Append('=').Append(resolved.GetMetadata(key)).Append('\n');
            }

            foreach (string key in new[] { "Name", "Namespace", "Kind", "Sha256", "SlmOpsTarget" })
            {
                text.Append("resolved.").Append(key).Append('=').Append(resolved.GetMetadata(key)).Append('\n');
            }

            string content = text.ToString();
            if (File.Exists(stampFile) && File.ReadAllText(stampFile) == content)
            {
                return;
            }

            FileCommit.WriteAllText(stampFile, content);
        }

        private string ProjectFileOrNode => ProjectFiles.Of(ProjectFile, BuildEngine);

        private bool Error(string code, string message)
        {
            Log.LogError(null, code, null, ProjectFileOrNode, 0, 0, 0, 0, message);
            return false;
        }
    }
}
