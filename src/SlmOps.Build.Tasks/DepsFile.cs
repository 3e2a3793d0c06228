using System;
using System.Collections.Generic;
using System.IO;

namespace SlmOps.Build.Tasks
{
    /// <summary>
    /// Reads <c>slmops.deps</c>, which the worker writes for each model: <c>in&lt;TAB&gt;path</c> for every file it read
    /// (the model and its external data) and <c>out&lt;TAB&gt;path</c> for every file it wrote. Like a compiler's
    /// dependency file, it keeps incrementality honest about inputs MSBuild cannot see, and lets Clean remove exactly
    /// what was written.
    /// </summary>
    internal sealed class DepsFile
    {
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
                if (string.Equals(kind, "in", StringComparison.Ordinal))
                {
                    inputs.Add(file);
                }
                else if (string.Equals(kind, "out", StringComparison.Ordinal))
                {
                    outputs.Add(file);
                }
            }

            return new DepsFile(inputs, outputs);
        }
    }
}
