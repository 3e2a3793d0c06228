// Compiled as source into both sides of the worker protocol (docs/design.md): the MSBuild tasks, which may reference
// nothing but MSBuild, and the slmops worker. One definition keeps the two processes from drifting apart.
namespace SlmOps
{
    /// <summary>The names of the files the worker writes for each model.</summary>
    internal static class WorkerFiles
    {
        /// <summary>In the model directory: the contract the source generator reads.</summary>
        public const string Contract = "contract.json";

        /// <summary>In the variant directory: the prepared model.</summary>
        public const string Variant = "model.onnx";

        /// <summary>In the variant directory: hashes, source and tool of the variant.</summary>
        public const string Manifest = "manifest.json";

        /// <summary>In the variant directory: what the worker read and wrote (the DepsFile format).</summary>
        public const string Deps = "slmops.deps";

        /// <summary>In the variant directory, written by the tasks: the item's metadata, for incrementality.</summary>
        public const string Stamp = "slmops.stamp";

        /// <summary>
        /// In the variant directory: what the variant was made from and its files' hashes, so that a run whose
        /// quantization settings did not change (a gate did) validates the variant again instead of making it again.
        /// </summary>
        public const string VariantKey = "slmops.key";

        /// <summary>
        /// In the variant directory: what validation measured on this machine (load time, latency, memory), which
        /// differs from run to run and so stays out of the manifest; the validation report of a later build reads it.
        /// </summary>
        public const string Measurements = "slmops.measurements.json";

        /// <summary>In the variant directory: the folder of the model's tokenizer files (vocab.txt, or vocab.json and merges.txt), shipped with it.</summary>
        public const string TokenizerFolder = "tokenizer";

        /// <summary>In the variant directory of a causal LM: ONNX Runtime GenAI's configuration, from beside the model, shipped with it.</summary>
        public const string GenAiConfig = "genai_config.json";

        /// <summary>The worker's and the tasks' own files in a variant directory, which are never copied to the output.</summary>
        public static readonly string[] Bookkeeping = { Deps, Stamp, VariantKey, Measurements };

        /// <summary>
        /// The names the SDK itself writes in a variant directory. A pass-through variant copies the model's
        /// external-data files beside it, so none of them may take one of these names (compared ignoring case, as on
        /// the file systems of macOS and Windows and in NuGet packages).
        /// </summary>
        public static readonly string[] VariantReserved = { Variant, Manifest, Deps, Stamp, VariantKey, Measurements };

        /// <summary>
        /// The name of <see cref="VariantReserved"/> that a file at <paramref name="relativePath"/> in a variant folder
        /// would take (its first segment, compared ignoring case and the trailing dots and spaces Windows drops), or
        /// null when it takes none.
        /// </summary>
        public static string? ReservedNameOf(string relativePath)
        {
            string first = relativePath.Split('/', '\\')[0].TrimEnd('.', ' ');
            return System.Array.Find(VariantReserved, name => string.Equals(name, first, System.StringComparison.OrdinalIgnoreCase)) is null ? null : first;
        }
    }
}
