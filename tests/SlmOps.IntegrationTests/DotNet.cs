using System.Diagnostics;
using System.Text;

namespace SlmOps.IntegrationTests;

/// <summary>The result of one `dotnet` command, with its whole console output for failure messages.</summary>
public sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;

    public CommandResult AssertSuccess()
    {
        Assert.True(Succeeded, $"Command failed with exit code {ExitCode}:\n{Output}");
        return this;
    }
}

/// <summary>Runs the real dotnet CLI. Builds never reuse nodes or compiler servers, so no process outlives a test.</summary>
public static class DotNet
{
    public static CommandResult Run(string workingDirectory, IDictionary<string, string>? environment, params string[] args) =>
        Exec(workingDirectory, "dotnet", environment, args);

    /// <summary>Runs <paramref name="fileName"/> (dotnet, or a program such as an installed tool's shim) with the same environment as <see cref="Run"/>.</summary>
    public static CommandResult Exec(string workingDirectory, string fileName, IDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        // The test host's own MSBuild settings must not leak into the nested builds.
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in 10 minutes:\n{output}");
        }

        process.WaitForExit();
        return new CommandResult(process.ExitCode, $"> {fileName} {string.Join(' ', args)}\n{output}");
    }

    /// <summary>`dotnet build` with the switches every nested build in the tests needs.</summary>
    public static CommandResult Build(string projectDirectory, IDictionary<string, string>? environment = null, params string[] extra) =>
        Run(projectDirectory, environment, ["build", "-nr:false", "-p:UseSharedCompilation=false", "-v:n", .. extra]);
}
