namespace SlmOps.Cli;

/// <summary>
/// Writes the machine-readable diagnostic lines (<see cref="WorkerDiagnostic"/>) the SlmOpsRunWorker task parses, and
/// plain progress lines. Safe to call from several threads.
/// </summary>
internal sealed class DiagnosticWriter(TextWriter output)
{
    private int _errorCount;

    public int ErrorCount => Volatile.Read(ref _errorCount);

    public void Error(string code, string file, string message)
    {
        Interlocked.Increment(ref _errorCount);
        Write(WorkerDiagnostic.Error, code, file, message);
    }

    public void Warning(string code, string file, string message) => Write(WorkerDiagnostic.Warning, code, file, message);

    public void Info(string code, string file, string message) => Write(WorkerDiagnostic.Info, code, file, message);

    /// <summary>The one line a build shows for a prepared model at normal verbosity (the task logs it at high importance).</summary>
    public void Summary(string message) => Write(WorkerDiagnostic.Summary, "", "", message);

    /// <summary>A line that says a long step is still running (the task logs it at high importance, like a summary).</summary>
    public void Heartbeat(string message) => Write(WorkerDiagnostic.Progress, "", "", message);

    /// <summary>A plain progress line (not a diagnostic).</summary>
    public void Progress(string message)
    {
        lock (output) output.WriteLine(message);
    }

    // Locked: heartbeats come from a thread of their own.
    private void Write(string kind, string code, string file, string message)
    {
        string line = new WorkerDiagnostic(kind, code, file, message).ToString();
        lock (output) output.WriteLine(line);
    }
}

/// <summary>
/// While a model is being prepared, says every <c>interval</c> which step it is in and for how long, so a long build
/// is never silent: <c>SlmOps: MiniLm (linux-x64): quantizing to int4, 10 s</c>. Zero interval: never.
/// </summary>
internal sealed class Heartbeat : IDisposable
{
    private readonly DiagnosticWriter _diagnostics;
    private readonly TimeSpan _interval;
    private readonly Thread? _thread;
    private readonly ManualResetEventSlim _stopped = new();
    private readonly System.Diagnostics.Stopwatch _clock = new();
    private string? _subject;
    private volatile string? _step;

    public Heartbeat(DiagnosticWriter diagnostics, TimeSpan interval)
    {
        _diagnostics = diagnostics;
        _interval = interval;
        if (interval <= TimeSpan.Zero) return;
        // A thread of its own, not a timer: the quantizer keeps the thread pool busy, and a queued timer callback
        // would wait behind it until the step is over.
        _thread = new Thread(Run) { IsBackground = true, Name = "slmops heartbeat" };
        _thread.Start();
    }

    /// <summary>The model that is being prepared now, e.g. <c>MiniLm (linux-x64)</c>.</summary>
    public void Start(string subject)
    {
        lock (_clock)
        {
            _subject = subject;
            _step = "reading";
            _clock.Restart();
        }
    }

    /// <summary>The step the model is in, e.g. <c>quantizing to int4</c>.</summary>
    public void Step(string step) => _step = step;

    public void Stop()
    {
        lock (_clock) _subject = null;
    }

    private void Run()
    {
        while (!_stopped.Wait(_interval))
        {
            lock (_clock)
            {
                if (_subject is null) continue;
                _diagnostics.Heartbeat($"SlmOps: {_subject}: {_step}, {_clock.Elapsed.TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)} s");
            }
        }
    }

    public void Dispose()
    {
        _stopped.Set();
        _thread?.Join();
        _stopped.Dispose();
    }
}

/// <summary>SLM1xxx codes the worker itself emits (the SDK tasks own the rest of the range).</summary>
internal static class CliErrorCodes
{
    /// <summary>The request file is missing or malformed.</summary>
    public const string BadRequest = "SLM1005";

    /// <summary>An unexpected exception while handling one model (a bug): reported against the model, never unhandled.</summary>
    public const string InternalError = "SLM1008";

    /// <summary>A manifest the validation report should cover cannot be read (warning).</summary>
    public const string ReportIncomplete = "SLM1014";
}
