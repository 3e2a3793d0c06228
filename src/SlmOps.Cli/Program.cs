using System.CommandLine;
using System.Reflection;

namespace SlmOps.Cli;

/// <summary>The <c>slmops</c> entry point. <see cref="Run"/> is the whole program, so tests run it in-process.</summary>
public static class Program
{
    /// <summary>Exit code: success.</summary>
    public const int Success = 0;

    /// <summary>Exit code: at least one error was reported.</summary>
    public const int Failed = 1;

    /// <summary>Exit code: the command line or the request file is wrong.</summary>
    public const int UsageError = 2;

    /// <summary>The name of the environment variable that names the invocation log.</summary>
    public const string InvocationLogVariable = "SLMOPS_INVOCATION_LOG";

    /// <summary>The name of the environment variable that names a file to receive this process's peak RSS in bytes (benchmarks read it).</summary>
    public const string PeakMemoryFileVariable = "SLMOPS_PEAK_RSS_FILE";

    public static int Main(string[] args)
    {
        // A run is short and keeps its big buffers in native memory, so a collection only costs a pause (two took
        // 15-18 ms of a 0.3 s MiniLM run): none until 64 MB of managed allocations, then as usual (docs/design.md).
        // Under a small heap limit the GC declines (false), and a segments GC may refuse the size; both are fine.
        try
        {
            GC.TryStartNoGCRegion(64L << 20);
        }
        catch (ArgumentOutOfRangeException)
        {
        }

        int code = Run(args, Console.Out, Console.Error);
        if (Environment.GetEnvironmentVariable(PeakMemoryFileVariable) is { Length: > 0 } peakFile)
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            File.WriteAllText(peakFile, self.PeakWorkingSet64.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return code;
    }

    /// <summary>
    /// Runs one command. <paramref name="environment"/> replaces <see cref="Environment.GetEnvironmentVariable(string)"/>
    /// (tests pass their own so they can run in parallel).
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?>? environment = null)
    {
        var context = new CliContext(stdout, stderr, environment ?? Environment.GetEnvironmentVariable);
        var root = new RootCommand("slmops: inspect, quantize, calibrate, validate, prepare, package and push ONNX models for SlmOps.Build.")
        {
            CalibrateCommand.Create(context),
            InspectCommand.Create(context),
            FeedCommands.Package(context),
            PrepareCommand.Create(context),
            FeedCommands.Push(context),
            QuantizeCommand.Create(context),
            ValidateCommand.Create(context),
        };

        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors) stderr.WriteLine("error: " + error.Message);
            stderr.WriteLine("Run 'slmops --help' for usage.");
            return UsageError;
        }

        return parseResult.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>The informational version of this tool (what <c>--version</c> prints and manifests record).</summary>
    public static string ToolVersion { get; } =
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Program).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}

/// <summary>What a command needs from its surroundings.</summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    /// <summary>
    /// Runs a command's work and returns its exit code; a failure is one error line on stderr and exit code 1: an
    /// <see cref="SlmException"/> as its coded line, anything else as an internal error naming <paramref name="file"/>.
    /// </summary>
    /// <param name="file">The file the command works on, for the internal-error line.</param>
    /// <param name="what">What the command was doing, e.g. <c>Quantizing the model</c>.</param>
    public int Run(string file, string what, Func<int> work)
    {
        try
        {
            return work();
        }
        catch (SlmException ex)
        {
            Error.WriteLine(ex.ToErrorLine());
        }
        catch (Exception ex)
        {
            Error.WriteLine($"error {CliErrorCodes.InternalError}: {file}: {ModelPreparer.InternalErrorMessage(what, ex)}");
        }

        return Program.Failed;
    }

    /// <summary>Appends one line to the file named by SLMOPS_INVOCATION_LOG, if set; tests prove no-op builds start no worker with it.</summary>
    public void LogInvocation(string line)
    {
        string? path = environment(Program.InvocationLogVariable);
        if (string.IsNullOrEmpty(path)) return;
        try
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            var bytes = System.Text.Encoding.UTF8.GetBytes(line.ReplaceLineEndings(" ") + "\n");
            stream.Write(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Error.WriteLine($"warning: cannot append to {Program.InvocationLogVariable} file '{path}': {ex.Message}");
        }
    }
}
