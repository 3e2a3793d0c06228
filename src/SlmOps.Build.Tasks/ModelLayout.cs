using System.IO;

namespace SlmOps.Build.Tasks
{
    /// <summary>
    /// Where the worker writes the outputs of one model for one target. The worker receives these paths in the
    /// request, so this class is the single place that decides the layout under <c>$(IntermediateOutputPath)slm/</c>.
    /// </summary>
    internal sealed class ModelLayout
    {
        public ModelLayout(string intermediateRoot, string name, string target)
        {
            ModelDirectory = EnsureTrailingSeparator(Path.Combine(intermediateRoot, name));
            VariantDirectory = EnsureTrailingSeparator(Path.Combine(ModelDirectory, target));
        }

        /// <summary>Target-independent outputs: the contract the generator reads.</summary>
        public string ModelDirectory { get; }

        /// <summary>Outputs of one target (RID or device profile): the variant, its manifest and bookkeeping.</summary>
        public string VariantDirectory { get; }

        public string ContractFile => ModelDirectory + WorkerFiles.Contract;
        public string VariantFile => VariantDirectory + WorkerFiles.Variant;
        public string ManifestFile => VariantDirectory + WorkerFiles.Manifest;
        public string DepsFile => VariantDirectory + WorkerFiles.Deps;
        public string StampFile => VariantDirectory + WorkerFiles.Stamp;

        /// <summary>The files a complete run leaves; any one missing means the model must be prepared again.</summary>
        public string[] ExpectedOutputs(bool designTime) =>
            designTime
                ? new[] { ContractFile, DepsFile }
                : new[] { ContractFile, VariantFile, ManifestFile, DepsFile };

        private static string EnsureTrailingSeparator(string path) =>
            path.EndsWith(Path.DirectorySeparatorChar.ToString(), System.StringComparison.Ordinal) ? path : path + Path.DirectorySeparatorChar;
    }
}
