namespace SlmOps.Cli;

/// <summary>
/// Writes the machine-readable diagnostic lines the SlmOpsPrepare task parses:
/// <c>##slmops&lt;TAB&gt;error|warning|info&lt;TAB&gt;SLMnnnn&lt;TAB&gt;/abs/file&lt;TAB&gt;message</c>.
/// </summary>
internal sealed class DiagnosticWriter(TextWriter output)
{
    public const string Prefix = "##slmops";

    public int ErrorCount { get; private set; }

    public void Error(string code, string file, string message)
    {
        ErrorCount++;
        Write("error", code, file, message);
    }

    public void Warning(string code, string file, string message) => Write("warning", code, file, message);

    public void Info(string code, string file, string message) => Write("info", code, file, message);

    /// <summary>The one line a build shows for a prepared model at normal verbosity (the task logs it at high importance).</summary>
    public void Summary(string message) => Write("summary", "", "", message);

    /// <summary>A plain progress line (not a diagnostic).</summary>
    public void Progress(string message) => output.WriteLine(message);

    private void Write(string severity, string code, string file, string message) =>
        output.WriteLine($"{Prefix}\t{severity}\t{code}\t{Clean(file)}\t{Clean(message)}");

    private static string Clean(string text) =>
        text.Replace("\r\n", " ").Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ');
}

/// <summary>SLM1xxx codes the worker itself emits (the SDK tasks own the rest of the range).</summary>
internal static class CliErrorCodes
{
    /// <summary>The request file is missing or malformed.</summary>
    public const string BadRequest = "SLM1005";

    /// <summary>An unexpected exception while handling one model (a bug): reported against the model, never unhandled.</summary>
    public const string InternalError = "SLM1008";
}
