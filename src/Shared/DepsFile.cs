using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace SlmOps
{
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
