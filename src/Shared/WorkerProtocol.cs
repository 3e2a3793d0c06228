using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

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

        /// <summary>In the variant directory: what the worker read and wrote (<see cref="DepsFile"/>).</summary>
        public const string Deps = "slmops.deps";

        /// <summary>In the variant directory, written by the tasks: the item's metadata, for incrementality.</summary>
        public const string Stamp = "slmops.stamp";

        /// <summary>
        /// The names the SDK itself writes in a variant directory. A pass-through variant copies the model's
        /// external-data files beside it, so none of them may take one of these names (compared ignoring case, as on
        /// the file systems of macOS and Windows and in NuGet packages).
        /// </summary>
        public static readonly string[] VariantReserved = { Variant, Manifest, Deps, Stamp };
    }

    /// <summary>
    /// <c>slmops.deps</c>, which the worker writes for each model: <c>in&lt;TAB&gt;path</c> for every file it read
    /// (the model and its external data) and <c>out&lt;TAB&gt;path</c> for every file it wrote. Like a compiler's
    /// dependency file, it keeps incrementality honest about inputs MSBuild cannot see, and lets Clean remove exactly
    /// what was written.
    /// </summary>
    internal sealed class DepsFile
    {
        private const string InputKind = "in";
        private const string OutputKind = "out";

        private DepsFile(IReadOnlyList<string> inputs, IReadOnlyList<string> outputs)
        {
            Inputs = inputs;
            Outputs = outputs;
        }

        public IReadOnlyList<string> Inputs { get; }

        public IReadOnlyList<string> Outputs { get; }

        /// <summary>Returns null when the file does not exist (the model was never prepared).</summary>
        public static DepsFile? TryRead(string path)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var inputs = new List<string>();
            var outputs = new List<string>();
            foreach (string line in File.ReadAllLines(path))
            {
                int tab = line.IndexOf('\t');
                if (tab <= 0)
                {
                    continue;
                }

                string kind = line.Substring(0, tab);
                string file = line.Substring(tab + 1);
                if (string.Equals(kind, InputKind, StringComparison.Ordinal))
                {
                    inputs.Add(file);
                }
                else if (string.Equals(kind, OutputKind, StringComparison.Ordinal))
                {
                    outputs.Add(file);
                }
            }

            return new DepsFile(inputs, outputs);
        }

        /// <summary>The text of a deps file.</summary>
        public static string Format(IEnumerable<string> inputs, IEnumerable<string> outputs)
        {
            var sb = new StringBuilder();
            foreach (string path in inputs)
            {
                sb.Append(InputKind).Append('\t').Append(path).Append('\n');
            }

            foreach (string path in outputs)
            {
                sb.Append(OutputKind).Append('\t').Append(path).Append('\n');
            }

            return sb.ToString();
        }
    }
}
