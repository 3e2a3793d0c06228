using System.Text.Json;
using System.Xml.Linq;
using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// The samples' fleet flow as samples/FleetDevice/README.md gives it, on the real MiniLM: <c>dotnet pack</c> of
/// EdgeFleet makes one model package with its three targets' variants, <c>slmops push</c> puts it on an HTTP NuGet v3
/// feed the test serves on 127.0.0.1, and FleetDevice restores it from there, runs the host's variant and publishes the
/// rpi5 one for linux-arm64.
/// </summary>
/// <remarks>
/// In the SDK collection, though it does not use the SDK package: both pack the repository's projects in Release, and
/// two builds of one project at once collide on its outputs.
/// </remarks>
[Collection(SdkCollection.Name)]
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
        using var feed = new LoopbackFeed(apiKey: "fleet-key");
        // FleetDevice's configuration: the repository's sources and the feed (NuGet refuses an http:// source unless
        // the configuration allows it), with package source mapping: the fleet's models come from the feed only.
        string config = Path.Combine(_temp, "nuget.config");
        var sources = XDocument.Load(Path.Combine(repo, "nuget.config")).Root!.Element("packageSources")!;
        var mapping = new XElement("packageSourceMapping", sources.Elements("add").Select(s =>
            new XElement("packageSource", new XAttribute("key", (string)s.Attribute("key")!), new XElement("package", new XAttribute("pattern", "*")))));
        sources.Add(new XElement("add", new XAttribute("key", "model-feed"), new XAttribute("value", feed.ServiceIndex), new XAttribute("allowInsecureConnections", "true")));
        mapping.Add(new XElement("packageSource", new XAttribute("key", "model-feed"), new XElement("package", new XAttribute("pattern", "EdgeFleet.Models.*"))));
        File.WriteAllText(config, new XElement("configuration", sources, mapping).ToString());
        string[] quiet = ["-nr:false", "-p:UseSharedCompilation=false"];
        string[] withFeed = [.. quiet, $"-p:RestoreConfigFile={config}"];

        DotNet.Run(repo, null, ["pack", "samples/EdgeFleet", "-o", packages, .. quiet]).AssertSuccess();
        string package = Path.Combine(packages, $"{PackageId}.1.0.0.nupkg");
        DotNet.Run(repo, null, [Path.Combine(repo, "artifacts", "bin", "SlmOps.Cli", "release", "slmops.dll"), "push", package,
            "--source", feed.ServiceIndex, "--api-key", "fleet-key", "--allow-insecure-connections"]).AssertSuccess();
        var build = DotNet.Run(repo, null, ["build", "samples/FleetDevice", "-v:n", .. withFeed]);
        build.AssertSuccess();
        var run = DotNet.Run(repo, null, [Path.Combine(repo, "artifacts", "bin", "FleetDevice", "debug", "FleetDevice.dll")]);

        run.AssertSuccess();
        Assert.Contains($"MiniLm 1.0.0 for linux-x64, int4, from {PackageId} 1.0.0 (beta), validated with ONNX Runtime ", run.Output);
        Assert.Contains("Ran it: last_hidden_state [1, 4, 384]", run.Output);
        Assert.Contains($"from {PackageId} 1.0.0 (its variant for rpi5, validated: MinCosine ", build.Output);

        // The package's rpi5 variant, byte for byte, ships for linux-arm64.
        string publish = Path.Combine(_temp, "publish");
        DotNet.Run(repo, null, ["publish", "samples/FleetDevice", "-c", "Debug", "-r", "linux-arm64", "--self-contained", "false", "-p:UseAppHost=false", "-o", publish, .. withFeed]).AssertSuccess();
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(publish, "models", "MiniLm", "manifest.json")));
        Assert.Equal(("rpi5", "int4", PackageId), (manifest.RootElement.GetProperty("target").GetString(), manifest.RootElement.GetProperty("precision").GetString(),
            manifest.RootElement.GetProperty("package").GetProperty("id").GetString()));
        string producedRpi5 = Path.Combine(repo, "artifacts", "obj", "EdgeFleet", "release", "slm", "MiniLm", "rpi5", "model.onnx");
        Assert.Equal(File.ReadAllBytes(producedRpi5), File.ReadAllBytes(Path.Combine(publish, "models", "MiniLm", "model.onnx")));
    }
}
