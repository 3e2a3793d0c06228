namespace SlmOps
{
    /// <summary>
    /// One diagnostic line the worker prints and the SlmOpsRunWorker task parses:
    /// <c>##slmops&lt;TAB&gt;kind&lt;TAB&gt;code&lt;TAB&gt;file&lt;TAB&gt;message</c> (docs/design.md, "Diagnostics").
    /// A fixed prefix and tab separators keep ordinary output (paths, stack traces) from being mistaken for one.
    /// </summary>
    internal sealed class WorkerDiagnostic
    {
        public const string Prefix = "##slmops\t";

        public const string Error = "error";
        public const string Warning = "warning";
        public const string Info = "info";

        /// <summary>The one line per prepared model that a build shows at normal verbosity; no code, no file.</summary>
        public const string Summary = "summary";

        /// <summary>A long step is still running; no code, no file.</summary>
        public const string Progress = "progress";

        public WorkerDiagnostic(string kind, string code, string file, string message)
        {
            Kind = kind;
            Code = code;
            File = file;
            Message = message;
        }

        /// <summary><see cref="Error"/>, <see cref="Warning"/>, <see cref="Info"/>, <see cref="Summary"/> or <see cref="Progress"/>.</summary>
        public string Kind { get; }

        public string Code { get; }

        public string File { get; }

        public string Message { get; }

        /// <summary>The line, with tabs and line breaks in the file and message replaced by spaces.</summary>
        public override string ToString() => Prefix + Kind + "\t" + Code + "\t" + Clean(File) + "\t" + Clean(Message);

        public static WorkerDiagnostic? TryParse(string? line)
        {
            if (line is null || !line.StartsWith(Prefix, System.StringComparison.Ordinal))
            {
                return null;
            }

            string[] parts = line.Substring(Prefix.Length).TrimEnd('\r').Split(new[] { '\t' }, 4);
            if (parts.Length != 4 || parts[0] is not (Error or Warning or Info or Summary or Progress))
            {
                return null;
            }

            return new WorkerDiagnostic(parts[0], parts[1], parts[2], parts[3]);
        }

        private static string Clean(string text) =>
            text.Replace("\r\n", " ").Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ');
    }
}
