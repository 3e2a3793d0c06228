using System.Text.Json;

namespace SlmOps.IntegrationTests;

/// <summary>
/// The samples' fleet flow as samples/FleetDevice/README.md gives it, on the real MiniLM: <c>dotnet pack</c> of
/// EdgeFleet makes one model package with its three targets' variants, <c>slmops push</c> puts it on a folder feed,
/// and FleetDevice restores it, runs the host's variant and publishes the rpi5 one for linux-arm64.
/// </summary>
public sealed class FleetSampleTests : IDisposable
{
    private const string PackageId = "EdgeFleet.Models.MiniLm";
    private readonly string _temp = Directory.CreateTempSubdirectory("slmops-fleet-").FullName;

    public FleetSampleTests() => ForgetRestoredPackage();

    public void Dispose()
    {
        ForgetRestoredPackage();
        Directory.Delete(_temp, recursive: true);
    }

    /// <summary>The packages folder would serve an earlier run's package of the same id and version.</summary>
    private static void ForgetRestoredPackage()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string restored = Path.Combine(packages, PackageId.ToLowerInvariant());
        if (Directory.Exists(restored)) Directory.Delete(restored, recursive: true);
    }

    [Fact]
    public void EdgeFleet_packs_its_variants_and_FleetDevice_restores_the_package_from_a_feed_and_runs_it()
    {
        string repo = RepoRootAttribute.Value;
        string packages = Path.Combine(_temp, "packages");
        string feed = Path.Combine(_temp, "feed");
        string[] quiet = ["-nr:false", "-p:UseSharedCompilation=false"];

        DotNet.Run(repo, null, ["pack", "samples/EdgeFleet", "-o", packages, .. quiet]).AssertSuccess();
        string package = Path.Combine(packages, $"{PackageId}.1.0.0.nupkg");
        DotNet.Run(repo, null, [Path.Combine(repo, "artifacts", "bin", "SlmOps.Cli", "release", "slmops.dll"), "push", package, "--source", feed]).AssertSuccess();
        var build = DotNet.Run(repo, null, ["build", "samples/FleetDevice", $"-p:ModelFeed={feed}", "-v:n", .. quiet]);
        build.AssertSuccess();
        var run = DotNet.Run(repo, null, [Path.Combine(repo, "artifacts", "bin", "FleetDevice", "debug", "FleetDevice.dll")]);

        run.AssertSuccess();
        Assert.Contains($"MiniLm 1.0.0 for linux-x64, int4, from {PackageId} 1.0.0 (beta), validated with ONNX Runtime ", run.Output);
        Assert.Contains("Ran it: last_hidden_state [1, 4, 384]", run.Output);
        Assert.Contains($"from {PackageId} 1.0.0 (its variant for rpi5, validated: MinCosine ", build.Output);

        // The package's rpi5 variant, byte for byte, ships for linux-arm64.
        string publish = Path.Combine(_temp, "publish");
        DotNet.Run(repo, null, ["publish", "samples/FleetDevice", "-c", "Debug", "-r", "linux-arm64", "--self-contained", "false", "-p:UseAppHost=false", $"-p:ModelFeed={feed}", "-o", publish, .. quiet]).AssertSuccess();
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(publish, "models", "MiniLm", "manifest.json")));
        Assert.Equal(("rpi5", "int4", PackageId), (manifest.RootElement.GetProperty("target").GetString(), manifest.RootElement.GetProperty("precision").GetString(),
            manifest.RootElement.GetProperty("package").GetProperty("id").GetString()));
        string producedRpi5 = Path.Combine(repo, "artifacts", "obj", "EdgeFleet", "release", "slm", "MiniLm", "rpi5", "model.onnx");
        Assert.Equal(File.ReadAllBytes(producedRpi5), File.ReadAllBytes(Path.Combine(publish, "models", "MiniLm", "model.onnx")));
    }
}
