using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace SlmOps.Build.Tasks
{
    /// <summary>
    /// After the worker ran (or was skipped), reads each model × target's deps file to learn what exists: the files to
    /// register in <c>FileWrites</c> (so Clean removes them) and the variant files of the shipped target to copy to
    /// <c>models/&lt;Name&gt;/</c>.
    /// </summary>
    public sealed class SlmOpsCollectOutputs : Task
    {
        [Required]
        public ITaskItem[] Models { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>The folder, relative to the output directory, that holds one folder per model.</summary>
        public string ModelsFolder { get; set; } = "models";

        /// <summary>The project file, <c>$(MSBuildProjectFullPath)</c>, that errors are reported on (<see cref="ProjectFiles.Of"/>).</summary>
        public string ProjectFile { get; set; } = "";

        /// <summary>Every file the worker wrote for these models.</summary>
        [Output]
        public ITaskItem[] WrittenFiles { get; private set; } = Array.Empty<ITaskItem>();

        /// <summary>The variant files (model, external data, manifest) with <c>Link</c> set to their place in the output.</summary>
        [Output]
        public ITaskItem[] VariantFiles { get; private set; } = Array.Empty<ITaskItem>();

        /// <summary>
        /// The variant files (model, external data, manifest) of every target, with <c>ArtifactPath</c> set to
        /// <c>&lt;target&gt;/&lt;Name&gt;/&lt;file&gt;</c>: the CI artifact layout under <c>$(SlmOpsArtifactsPath)</c>.
        /// </summary>
        [Output]
        public ITaskItem[] ArtifactFiles { get; private set; } = Array.Empty<ITaskItem>();

        /// <summary>The contracts that exist, for the source generator, with the model's full path as <c>SlmOpsModelFile</c>.</summary>
        [Output]
        public ITaskItem[] ContractFiles { get; private set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            var written = new List<ITaskItem>();
            var variants = new List<ITaskItem>();
            var artifacts = new List<ITaskItem>();
            var contracts = new List<ITaskItem>();
            var seenContracts = new HashSet<string>(StringComparer.Ordinal);
            foreach (ITaskItem model in Models)
            {
                string name = model.GetMetadata("Name");
                string variantDirectory = model.GetMetadata("VariantDirectory");
                string contract = model.GetMetadata("ContractFile");
                // One item per model × target; only the target this build ships is copied (an item without the
                // metadata is the only target).
                bool ships = model.GetMetadata("SlmOpsShip") != "false";
                if (File.Exists(contract) && seenContracts.Add(contract))
                {
                    var item = new TaskItem(contract);
                    item.SetMetadata("SlmOpsModelName", name);
                    // The generator reports problems with the model's types on the model file.
                    item.SetMetadata("SlmOpsModelFile", model.GetMetadata("FullPath"));
                    contracts.Add(item);
                }

                DepsFile? deps;
                try
                {
                    deps = DepsFile.TryRead(model.GetMetadata("DepsFile"));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Log.LogError(null, "SLM1009", null, ProjectFiles.Of(ProjectFile, BuildEngine), 0, 0, 0, 0,
                        $"SlmModel '{model.ItemSpec}': the SDK cannot read '{model.GetMetadata("DepsFile")}': {ex.Message} Check the permissions of the obj folder, then build again.");
                    continue;
                }

                if (deps is null)
                {
                    continue;
                }

                foreach (string file in deps.Outputs)
                {
                    written.Add(new TaskItem(file));
                    string fileName = Path.GetFileName(file);
                    bool isBookkeeping = Array.IndexOf(WorkerFiles.Bookkeeping, fileName) >= 0;
                    if (!isBookkeeping && File.Exists(file) && file.StartsWith(variantDirectory, StringComparison.Ordinal))
                    {
                        string relative = file.Substring(variantDirectory.Length);
                        var artifact = new TaskItem(file);
                        artifact.SetMetadata("ArtifactPath", Path.Combine(model.GetMetadata("SlmOpsTarget"), name, relative));
                        artifacts.Add(artifact);
                        if (ships)
                        {
                            var item = new TaskItem(file);
                            item.SetMetadata("Link", Path.Combine(ModelsFolder, name, relative));
                            item.SetMetadata("SlmOpsModelName", name);
                            variants.Add(item);
                        }
                    }
                }

                written.Add(new TaskItem(model.GetMetadata("StampFile")));
            }

            WrittenFiles = written.ToArray();
            VariantFiles = variants.ToArray();
            ArtifactFiles = artifacts.ToArray();
            ContractFiles = contracts.ToArray();
            return !Log.HasLoggedErrors;
        }
    }
}
