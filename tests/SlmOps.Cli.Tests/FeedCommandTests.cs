using System.IO.Compression;
using NuGet.Protocol;
using System.Text.Json;
using SlmOps.Packaging;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

/// <summary>
/// <c>slmops package</c> and <c>slmops push</c>: a model's variants for two targets as one model package, verified
/// against its manifests, on a folder feed and on an HTTP NuGet v3 feed served on 127.0.0.1 by the test.
/// </summary>
public sealed class FeedCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Prepares the dense test model for linux-x64 (int8-weight) and linux-arm64 (int4); returns its model folder.</summary>
    private string Prepared()
    {
        string source = OnnxModelFactory.Write(_temp.Combine("models"), "dense.onnx", OnnxModelFactory.CreateDense(128, 64));
        string obj = _temp.Combine("obj");
        var models = new[] { ("linux-x64", "int8-weight"), ("linux-arm64", "int4") }
            .Select(t => new RequestModel(source, "Dense", obj, Target: t.Item1, Settings: new Dictionary<string, string> { ["precision"] = t.Item2, ["blockSize"] = "16", ["maxRelativeError"] = "50%" }))
            .ToArray();
        RequestModel.WriteRequest(_temp.Combine("request.json"), false, models);
        var result = CliRunner.Run(["prepare", _temp.Combine("request.json")]);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        return models[0].ModelDirectory;
    }

    private string Pack(string folder, string output)
    {
        var result = CliRunner.Run(["package", folder, "--id", "Contoso.Models.Dense", "--version", "1.2.0", "-o", output]);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        return Path.Combine(output, "Contoso.Models.Dense.1.2.0.nupkg");
    }

    [Fact]
    public void A_package_holds_every_targets_variant_with_its_manifest_and_packing_twice_gives_the_same_bytes()
    {
        string folder = Prepared();

        var result = CliRunner.Run(["package", folder, "--id", "Contoso.Models.Dense", "--version", "1.2.0", "-o", _temp.Combine("a"), "--json"]);
        string again = Pack(folder, _temp.Combine("b"));

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        using var json = JsonDocument.Parse(result.Out);
        string package = json.RootElement.GetProperty("package").GetString()!;
        Assert.Equal([("linux-arm64", "int4"), ("linux-x64", "int8-weight")],
            json.RootElement.GetProperty("variants").EnumerateArray().Select(v => (v.GetProperty("target").GetString(), v.GetProperty("precision").GetString())));
        Assert.Equal(File.ReadAllBytes(package), File.ReadAllBytes(again));
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).Where(n => n.StartsWith("slm/", StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(["slm/contract.json", "slm/linux-arm64/manifest.json", "slm/linux-arm64/model.onnx", "slm/linux-x64/manifest.json", "slm/linux-x64/model.onnx"], entries);
        using var nuspec = new StreamReader(zip.GetEntry("Contoso.Models.Dense.nuspec")!.Open());
        Assert.Contains("<packageType name=\"SlmOpsModel\"", nuspec.ReadToEnd());
    }

    [Fact]
    public void Without_version_the_package_takes_the_models_Version_that_the_manifests_record()
    {
        string source = OnnxModelFactory.Write(_temp.Combine("models"), "dense.onnx", OnnxModelFactory.CreateDense(128, 64));
        var model = new RequestModel(source, "Dense", _temp.Combine("obj"), Settings: new Dictionary<string, string> { ["precision"] = "int4", ["blockSize"] = "16", ["version"] = "2.1.0-rc.1" });
        RequestModel.WriteRequest(_temp.Combine("request.json"), false, model);
        Assert.Equal(0, CliRunner.Run(["prepare", _temp.Combine("request.json")]).ExitCode);

        var result = CliRunner.Run(["package", model.ModelDirectory, "--id", "Contoso.Models.Dense", "-o", _temp.Combine("out")]);
        var unversioned = CliRunner.Run(["package", Prepared(), "--id", "Contoso.Models.Dense", "-o", _temp.Combine("out2")]);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.True(File.Exists(_temp.Combine("out", "Contoso.Models.Dense.2.1.0-rc.1.nupkg")));
        Assert.Equal(1, unversioned.ExitCode);
        Assert.Contains("error SLM5001: ", unversioned.Error);
        Assert.Contains("Give the package version (--version)", unversioned.Error);
    }

    [Fact]
    public void A_variant_changed_after_the_build_is_not_packed_SLM5001()
    {
        string folder = Prepared();
        File.AppendAllText(Path.Combine(folder, "linux-arm64", "model.onnx"), "x");

        var result = CliRunner.Run(["package", folder, "--id", "Contoso.Models.Dense", "--version", "1.2.0", "-o", _temp.Combine("out")]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error SLM5001: {Path.Combine(folder, "linux-arm64", "model.onnx")}: The file is not what the manifest of 'linux-arm64' says", result.Error);
        Assert.False(Directory.Exists(_temp.Combine("out")) && Directory.EnumerateFileSystemEntries(_temp.Combine("out")).Any());
    }

    [Fact]
    public void Push_to_a_folder_feed_lays_it_out_as_NuGet_reads_it_and_a_tampered_package_is_SLM5002_and_not_pushed()
    {
        string package = Pack(Prepared(), _temp.Combine("out"));
        string feed = _temp.Combine("feed");

        var pushed = CliRunner.Run(["push", package, "--source", feed]);

        Assert.True(pushed.ExitCode == 0, pushed.Out + pushed.Error);
        string inFeed = Path.Combine(feed, "contoso.models.dense", "1.2.0", "contoso.models.dense.1.2.0.nupkg");
        Assert.Equal(File.ReadAllBytes(package), File.ReadAllBytes(inFeed));
        Assert.Equal(2, ModelPackage.Verify(inFeed).Variants.Count);

        string tampered = _temp.Combine("tampered", "Contoso.Models.Dense.1.3.0.nupkg");
        Directory.CreateDirectory(Path.GetDirectoryName(tampered)!);
        File.Copy(package, tampered);
        using (var zip = ZipFile.Open(tampered, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("slm/linux-x64/model.onnx")!;
            using var stream = entry.Open();
            stream.Seek(-1, SeekOrigin.End);
            stream.WriteByte(0x5a);
        }

        var refused = CliRunner.Run(["push", tampered, "--source", _temp.Combine("feed2")]);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error SLM5002: ", refused.Error);
        Assert.Contains("'slm/linux-x64/model.onnx' has ", refused.Error);
        Assert.False(Directory.Exists(_temp.Combine("feed2")));
    }

    [Fact]
    public async Task Push_to_an_http_v3_feed_on_loopback_needs_its_api_key_and_the_package_downloads_back_verified()
    {
        string package = Pack(Prepared(), _temp.Combine("out"));
        using var feed = new LoopbackFeed(apiKey: "secret");

        var insecure = CliRunner.Run(["push", package, "--source", feed.ServiceIndex, "--api-key", "secret", "--timeout", "30"]);
        var refused = CliRunner.Run(["push", package, "--source", feed.ServiceIndex, "--api-key", "wrong", "--timeout", "30", "--allow-insecure-connections"]);
        var pushed = CliRunner.Run(["push", package, "--source", feed.ServiceIndex, "--api-key", "secret", "--timeout", "30", "--allow-insecure-connections"]);

        // NuGet refuses an http:// feed unless told otherwise; the feed refuses a wrong key.
        Assert.Equal(1, insecure.ExitCode);
        Assert.Contains("error SLM5003: ", insecure.Error);
        Assert.Contains("NuGet requires HTTPS sources", insecure.Error);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error SLM5003: ", refused.Error);
        Assert.Contains("403", refused.Error);
        Assert.True(pushed.ExitCode == 0, pushed.Out + pushed.Error);
        Assert.Equal(File.ReadAllBytes(package), Assert.Single(feed.Packages, p => p.Key == ("contoso.models.dense", "1.2.0")).Value);

        // A consumer's view: NuGet.Protocol lists and downloads it from the feed, and it verifies.
        var repository = NuGet.Protocol.Core.Types.Repository.Factory.GetCoreV3(new NuGet.Configuration.PackageSource(feed.ServiceIndex) { AllowInsecureConnections = true });
        var find = (await repository.GetResourceAsync<NuGet.Protocol.Core.Types.FindPackageByIdResource>())!;
        using var cache = new NuGet.Protocol.Core.Types.SourceCacheContext { NoCache = true };
        var version = NuGet.Versioning.NuGetVersion.Parse("1.2.0");
        Assert.Equal([version], await find.GetAllVersionsAsync("Contoso.Models.Dense", cache, NuGet.Common.NullLogger.Instance, CancellationToken.None));
        string downloaded = _temp.Combine("downloaded.nupkg");
        using (var stream = File.Create(downloaded))
            Assert.True(await find.CopyNupkgToStreamAsync("Contoso.Models.Dense", version, stream, cache, NuGet.Common.NullLogger.Instance, CancellationToken.None));
        Assert.Equal(["linux-arm64", "linux-x64"], ModelPackage.Verify(downloaded).Variants.Select(v => v.Manifest.Target.Name));
    }
}
