using System.IO.Compression;
using System.Text.Json;
using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// Model packages end to end: <c>dotnet pack</c> of a project with a PackageId on its SlmModel makes the model package,
/// <c>slmops push</c> puts it on an HTTP NuGet v3 feed served on 127.0.0.1, and another project's
/// <c>SlmModelPackage</c> restores it with NuGet, takes the variant for each of its targets and runs it; a tampered
/// package fails that build with SLM5002 and ships nothing.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class ModelPackageBuildTests(SdkPackageFixture sdk) : IDisposable
{
    /// <summary>An id no other run used: the packages folder would serve an earlier run's package of the same id and version.</summary>
    private readonly string _id = $"Contoso.It{DateTime.UtcNow:yyyyMMddHHmmssfff}.Dense";

    private static string PackagesFolder => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public void Dispose()
    {
        string restored = Path.Combine(PackagesFolder, _id.ToLowerInvariant());
        if (Directory.Exists(restored)) Directory.Delete(restored, recursive: true);
    }

    /// <summary>Packs the dense test model for linux-x64 (int8-weight) and rpi5 (int4) with dotnet pack; returns the project and the package.</summary>
    private (TestProject Producer, string Package) Pack()
    {
        var producer = new TestProject(sdk, "Producer");
        OnnxModelFactory.Write(producer.Path("models"), "dense.onnx", OnnxModelFactory.CreateDense(128, 64));
        producer.WriteProject($"""
            <SlmTarget Include="linux-x64" Precision="int8-weight" />
            <SlmTarget Include="rpi5" />
            <SlmModel Include="models/dense.onnx" Name="Dense" BlockSize="16" MaxRelativeError="50%" Version="1.2.0" Channel="beta" PackageId="{_id}" />
            """);
        producer.WriteProgram("""Console.WriteLine("producer");""");
        var pack = producer.Dotnet("pack", "-nr:false", "-p:UseSharedCompilation=false", "-o", producer.Path("out"));
        pack.AssertSuccess();
        string package = producer.Path($"out/{_id}.1.2.0.nupkg");
        Assert.True(File.Exists(package), pack.Output);
        return (producer, package);
    }

    private CommandResult Push(TestProject project, string package, string source, params string[] extra)
    {
        string worker = Path.Combine(PackagesFolder, "slmops.sdk", sdk.Version, "tools", "net10.0", "slmops.dll");
        return project.Dotnet([worker, "push", package, "--source", source, .. extra]);
    }

    private TestProject Consumer(string feed, string version)
    {
        var consumer = new TestProject(sdk, "Consumer", feeds: [feed]);
        consumer.WriteProject($"""
            <SlmTarget Include="linux-x64" />
            <SlmTarget Include="linux-arm64" />
            <SlmModelPackage Include="{_id}" Version="{version}" />
            """);
        consumer.WriteProgram("""
            using Consumer.Models;
            using SlmOps.Runtime;

            using var model = Dense.Load();
            var x = SlmTensor<float>.Create(Enumerable.Range(0, 128).Select(i => i / 128f).ToArray(), 1, 128);
            Console.WriteLine("y=" + model.Run(x).Y.ShapeText);
            Console.WriteLine("manifest=" + model.Manifest);
            """);
        return consumer;
    }

    [Fact]
    public void A_package_from_dotnet_pack_pushed_to_an_http_feed_restores_in_another_project_which_runs_the_variant_of_its_target()
    {
        var (producer, package) = Pack();
        using var _ = producer;
        using var feed = new LoopbackFeed(apiKey: "key");
        Push(producer, package, feed.ServiceIndex, "--api-key", "key", "--allow-insecure-connections").AssertSuccess();
        using var consumer = Consumer(feed.ServiceIndex, "1.2.0");

        var build = consumer.Build();

        build.AssertSuccess();
        Assert.Contains($"from {_id} 1.2.0 (its variant for linux-x64, validated: ", build.Output);
        Assert.Contains($"from {_id} 1.2.0 (its variant for rpi5, validated: ", build.Output);
        string producedSlm = producer.Path("obj/Release/net10.0/slm/Dense");
        string models = Path.Combine(consumer.OutputDirectory, "models", "Dense");
        Assert.Equal(File.ReadAllBytes(Path.Combine(producedSlm, "linux-x64", "model.onnx")), File.ReadAllBytes(Path.Combine(models, "model.onnx")));
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "manifest.json"))))
        {
            var root = manifest.RootElement;
            Assert.Equal((_id, "1.2.0"), (root.GetProperty("package").GetProperty("id").GetString(), root.GetProperty("package").GetProperty("version").GetString()));
            Assert.Equal(("Dense", "1.2.0", "beta", "int8-weight"), (root.GetProperty("name").GetString(), root.GetProperty("version").GetString(),
                root.GetProperty("rollout").GetProperty("channel").GetString(), root.GetProperty("precision").GetString()));
        }

        string run = consumer.Dotnet(Path.Combine(consumer.OutputDirectory, "Consumer.dll")).AssertSuccess().Output;
        Assert.Contains("y=[1, 64]", run);
        Assert.Contains($"manifest=Dense 1.2.0 for linux-x64, int8-weight, from {_id} 1.2.0", run);

        // Up to date: a second build starts no worker; a publish for linux-arm64 ships the package's rpi5 variant.
        int invocations = consumer.Invocations.Length;
        consumer.Build().AssertSuccess();
        string publish = consumer.Path("publish");
        consumer.Dotnet("publish", "-c", "Debug", "-r", "linux-arm64", "--self-contained", "false", "-p:UseAppHost=false", "-nr:false", "-p:UseSharedCompilation=false", "-o", publish).AssertSuccess();
        Assert.Equal(invocations, consumer.Invocations.Length);
        Assert.Equal(File.ReadAllBytes(Path.Combine(producedSlm, "rpi5", "model.onnx")), File.ReadAllBytes(Path.Combine(publish, "models", "Dense", "model.onnx")));
    }

    [Fact]
    public void A_tampered_package_on_the_feed_fails_the_build_with_SLM5002_and_nothing_ships()
    {
        var (producer, package) = Pack();
        using var _ = producer;
        string feed = producer.Path("feed");
        Directory.CreateDirectory(feed);
        string tampered = Path.Combine(feed, $"{_id}.1.2.0.nupkg");
        File.Copy(package, tampered);
        using (var zip = ZipFile.Open(tampered, ZipArchiveMode.Update))
        {
            using var stream = zip.GetEntry("slm/rpi5/model.onnx")!.Open();
            stream.Seek(-1, SeekOrigin.End);
            stream.WriteByte(0x5a);
        }

        using var consumer = Consumer(feed, "1.2.0");
        var build = consumer.Build();

        Assert.False(build.Succeeded, build.Output);
        Assert.Contains("error SLM5002: ", build.Output);
        Assert.Contains("The model package is not what its manifests say: 'slm/rpi5/model.onnx' has ", build.Output);
        Assert.False(Directory.Exists(Path.Combine(consumer.OutputDirectory, "models")));
        Assert.Empty(Directory.EnumerateFiles(consumer.Path("obj/Debug/net10.0/slm"), "model.onnx", SearchOption.AllDirectories));
    }

    [Fact]
    public void With_SlmOpsRequireSignedModels_an_unsigned_package_fails_the_build_with_SLM5006()
    {
        var (producer, package) = Pack();
        using var _ = producer;
        string feed = producer.Path("feed");
        Directory.CreateDirectory(feed);
        File.Copy(package, Path.Combine(feed, Path.GetFileName(package)));
        using var consumer = Consumer(feed, "1.2.0");

        var build = consumer.Build("-p:SlmOpsRequireSignedModels=true");

        Assert.False(build.Succeeded, build.Output);
        Assert.Contains("error SLM5006: ", build.Output);
        Assert.Contains("SlmOpsRequireSignedModels is true and the model package is not signed by a trusted signer: it is not signed.", build.Output);
        Assert.False(Directory.Exists(Path.Combine(consumer.OutputDirectory, "models")));
    }

    [Fact]
    public void A_package_that_is_not_restored_is_SLM5005_and_a_range_is_refused()
    {
        using var consumer = Consumer(sdk.FeedDirectory, "[1.0,2.0)");

        var build = consumer.Build();

        Assert.False(build.Succeeded, build.Output);
        Assert.Contains($"error SLM5005: SlmModelPackage '{_id}': Version '[1.0,2.0)' is not an exact package version.", build.Output);
        Assert.Empty(consumer.Invocations);
    }
}
