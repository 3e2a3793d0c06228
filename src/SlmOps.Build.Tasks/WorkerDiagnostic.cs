namespace SlmOps.Build.Tasks
{
    /// <summary>
    /// One diagnostic line printed by the worker:
    /// <c>##slmops&lt;TAB&gt;severity&lt;TAB&gt;code&lt;TAB&gt;file&lt;TAB&gt;message</c> (see docs/design.md).
    /// A fixed prefix and tab separators keep ordinary output (paths, stack traces) from being mistaken for one.
    /// </summary>
    internal sealed class WorkerDiagnostic
    {
        public const string Prefix = "##slmops\t";

        private WorkerDiagnostic(string severity, string code, string file, string message)
        {
            Severity = severity;
            Code = code;
            File = file;
            Message = message;
        }

        /// <summary><c>error</c>, <c>warning</c>, <c>info</c>, <c>summary</c> (the one line per prepared model a build shows at normal verbosity) or <c>progress</c> (a long step still running); the last two have no code or file.</summary>
        public string Severity { get; }

        public string Code { get; }

        public string File { get; }

        public string Message { get; }

        public static WorkerDiagnostic? TryParse(string line)
        {
            if (line is null || !line.StartsWith(Prefix, System.StringComparison.Ordinal))
            {
                return null;
            }

            string[] parts = line.Substring(Prefix.Length).Split(new[] { '\t' }, 4);
            if (parts.Length != 4 || parts[0] is not ("error" or "warning" or "info" or "summary" or "progress"))
            {
                return null;
            }

            return new WorkerDiagnostic(parts[0], parts[1], parts[2], parts[3]);
        }
    }
}
