using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

/// <summary>A long step says, every interval, which model it is on, in which step and for how long; nothing once it is done.</summary>
public sealed class HeartbeatTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_running_step_beats_with_model_step_and_time_and_a_stopped_one_is_silent()
    {
        var output = new StringWriter { NewLine = "\n" };
        using (var heartbeat = new Heartbeat(new DiagnosticWriter(output), TimeSpan.FromMilliseconds(20)))
        {
            heartbeat.Start("MiniLm (linux-x64)");
            heartbeat.Step("quantizing to int4");
            Thread.Sleep(300);
            heartbeat.Stop();
        }

        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Matches(@"^##slmops\tprogress\t\t\tSlmOps: MiniLm \(linux-x64\): quantizing to int4, \d+ s$", l));
        int count = lines.Length;
        Thread.Sleep(100);
        Assert.Equal(count, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void A_zero_interval_never_beats()
    {
        var output = new StringWriter();
        using (var heartbeat = new Heartbeat(new DiagnosticWriter(output), TimeSpan.Zero))
        {
            heartbeat.Start("M (x)");
            Thread.Sleep(50);
        }

        Assert.Equal("", output.ToString());
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("soon")]
    [InlineData("7200")]
    public void A_bad_progress_interval_in_the_request_is_SLM1005(string interval)
    {
        string request = _temp.Combine("request.json");
        RequestModel.WriteRequest(request, false, interval, new RequestModel(OnnxModelFactory.Write(_temp.CreateDirectory("m")), "M", _temp.Combine("obj")));

        var result = CliRunner.Run(["prepare", request]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("progressInterval", Assert.Single(result.Diagnostics)[4]);
    }

    [Fact]
    public void A_quick_model_with_the_default_interval_prints_no_heartbeat()
    {
        string request = _temp.Combine("request.json");
        RequestModel.WriteRequest(request, false, "", new RequestModel(OnnxModelFactory.Write(_temp.CreateDirectory("m")), "M", _temp.Combine("obj")));

        var result = CliRunner.Run(["prepare", request]);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Heartbeats);
        Assert.Single(result.Summaries);
    }
}
