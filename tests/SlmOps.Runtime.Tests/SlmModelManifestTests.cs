using SlmOps.Packaging;
using static SlmOps.Runtime.Tests.TinyOnnx;

namespace SlmOps.Runtime.Tests;

/// <summary>The runtime reads the manifest the SDK writes beside a variant (<see cref="VariantManifest.ToJson"/>).</summary>
public sealed class SlmModelManifestTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "slmops-runtime-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static readonly VariantManifest Written = new()
    {
        Name = "MiniLm",
        Version = "1.2.0",
        Channel = "beta",
        MinAppVersion = "2.0.0",
        Kind = "embedding",
        Target = DeviceTarget.Parse("rpi5", "linux-arm64", "cpu"),
        Precision = "int4",
        Validation = new VariantValidation("error", true, "1.23.2", "embedding", 56, false, [], [], null),
        Source = new VariantFile("models/minilm.onnx", new string('a', 64), 90_000_000),
        Files = [new VariantFile("model.onnx", new string('b', 64), 14_000_000)],
        Package = new VariantPackage("Contoso.Models.MiniLm", "1.2.0"),
        ToolVersion = "0.1.0",
    };

    [Fact]
    public void A_session_exposes_the_manifest_beside_its_model()
    {
        byte[] model = SingleNode("Identity", [new Value("x", OnnxType.Float, "n")], [new Value("y", OnnxType.Float, "n")]);
        string path = Save(model, _directory);
        File.WriteAllText(Path.Combine(_directory, "manifest.json"), Written.ToJson());

        using var session = SlmSession.Open(path);
        SlmModelManifest manifest = session.Manifest!;

        Assert.Equal(("MiniLm", "1.2.0", "embedding", "rpi5", "linux-arm64", "cpu", "int4"),
            (manifest.Name, manifest.Version, manifest.Kind, manifest.Target, manifest.RuntimeIdentifier, manifest.ExecutionProvider, manifest.Precision));
        Assert.Equal(("beta", "2.0.0", "Contoso.Models.MiniLm", "1.2.0"), (manifest.Channel, manifest.MinAppVersion, manifest.PackageId, manifest.PackageVersion));
        Assert.Equal((true, "1.23.2", new string('a', 64), new string('b', 64), "0.1.0"),
            (manifest.ValidationPassed, manifest.ValidatedWithOnnxRuntime, manifest.SourceSha256, manifest.ModelSha256, manifest.ToolVersion));
        Assert.Equal("MiniLm 1.2.0 for rpi5, int4, from Contoso.Models.MiniLm 1.2.0", manifest.ToString());
        Assert.Equal(Written.ToJson(), manifest.Json);
    }

    [Fact]
    public void A_plain_rid_target_without_validation_or_package_reads_with_defaults_and_no_manifest_is_null()
    {
        var manifest = SlmModelManifest.Parse((Written with { Target = DeviceTarget.Parse("linux-x64"), Validation = null, Package = null, Version = null, Channel = null, MinAppVersion = null }).ToJson());

        Assert.Equal(("linux-x64", "linux-x64", "cpu"), (manifest.Target, manifest.RuntimeIdentifier, manifest.ExecutionProvider));
        Assert.Null(manifest.ValidationPassed);
        Assert.Null(manifest.PackageId);
        Assert.Null(manifest.Channel);
        Assert.Equal("MiniLm (no version) for linux-x64, int4", manifest.ToString());
        Assert.Null(SlmModelManifest.TryRead(_directory));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"name\": 3}")]
    [InlineData("[]")]
    public void A_file_that_is_not_a_manifest_is_InvalidDataException_naming_it(string json)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SlmModelManifest.Parse(json, "/app/models/MiniLm/manifest.json"));

        Assert.StartsWith("'/app/models/MiniLm/manifest.json' is not a model manifest the SlmOps SDK writes: ", ex.Message);
    }
}
