using System.IO.Compression;
using SlmOps.Packaging;
using SlmOps.Testing;

namespace SlmOps.Cli.Tests;

/// <summary>
/// <c>slmops prepare</c> with an <c>SlmModelPackage</c> model: the variant for the target comes out of a model package,
/// verified against the package's manifests, and a tampered package or one without that target leaves nothing.
/// </summary>
public sealed class PackageRestoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Packs the dense test model for linux-x64 (int8-weight) and rpi5 (int4, linux-arm64); returns the package and the producer's model folder.</summary>
    private (string Package, string Produced) Packed()
    {
        string source = OnnxModelFactory.Write(_temp.Combine("models"), "dense.onnx", OnnxModelFactory.CreateDense(128, 64));
        string obj = _temp.Combine("producer");
        var models = new[]
        {
            new RequestModel(source, "Dense", obj, Target: "linux-x64", Settings: new Dictionary<string, string> { ["precision"] = "int8-weight", ["maxRelativeError"] = "50%", ["version"] = "1.2.0" }),
            new RequestModel(source, "Dense", obj, Target: "rpi5", RuntimeIdentifier: "linux-arm64", Settings: new Dictionary<string, string> { ["precision"] = "int4", ["blockSize"] = "16", ["maxRelativeError"] = "50%", ["version"] = "1.2.0" }),
        };
        RequestModel.WriteRequest(_temp.Combine("producer.json"), false, models);
        var prepared = CliRunner.Run(["prepare", _temp.Combine("producer.json")]);
        Assert.True(prepared.ExitCode == 0, prepared.Out + prepared.Error);
        var packed = CliRunner.Run(["package", models[0].ModelDirectory, "--id", "Contoso.Models.Dense", "-o", _temp.Combine("packages")]);
        Assert.True(packed.ExitCode == 0, packed.Out + packed.Error);
        return (_temp.Combine("packages", "Contoso.Models.Dense.1.2.0.nupkg"), models[0].ModelDirectory);
    }

    private static CliRunner.Result Restore(string requestPath, params RequestModel[] models)
    {
        RequestModel.WriteRequest(requestPath, false, models);
        return CliRunner.Run(["prepare", requestPath]);
    }

    [Fact]
    public void The_variant_for_the_target_comes_out_of_the_package_byte_for_byte_with_its_manifest_and_a_contract_of_its_own()
    {
        var (package, produced) = Packed();
        var byName = new RequestModel(package, "EdgeDense", _temp.Combine("app"), Target: "rpi5", RuntimeIdentifier: "linux-arm64", FromPackage: true);
        var byRid = new RequestModel(package, "EdgeDense", _temp.Combine("app"), Target: "linux-arm64", FromPackage: true);
        var host = new RequestModel(package, "EdgeDense", _temp.Combine("app"), Target: "linux-x64", FromPackage: true);

        var result = Restore(_temp.Combine("app.json"), byName, byRid, host);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        // rpi5 by name; linux-arm64 has no variant of its own, so the one for its RID (rpi5's); linux-x64 its own.
        Assert.Equal(File.ReadAllBytes(Path.Combine(produced, "rpi5", "model.onnx")), File.ReadAllBytes(byName.VariantModelPath));
        Assert.Equal(File.ReadAllBytes(Path.Combine(produced, "rpi5", "model.onnx")), File.ReadAllBytes(byRid.VariantModelPath));
        Assert.Equal(File.ReadAllBytes(Path.Combine(produced, "linux-x64", "model.onnx")), File.ReadAllBytes(host.VariantModelPath));
        var manifest = VariantManifest.Read(File.ReadAllText(byRid.ManifestPath));
        var original = VariantManifest.Read(File.ReadAllText(Path.Combine(produced, "rpi5", "manifest.json")));
        Assert.Equal(new VariantPackage("Contoso.Models.Dense", "1.2.0"), manifest.Package);
        Assert.Equal(original.ToJson(), (manifest with { Package = null }).ToJson());
        Assert.Equal("rpi5", manifest.Target.Name);
        // The consumer's name and namespace, the I/O of the variant, the source's hash.
        var contract = SlmOps.Contracts.ContractJson.Read(File.ReadAllText(host.ContractPath));
        Assert.Equal(("EdgeDense", "App.Models"), (contract.Name, contract.Namespace));
        Assert.Equal(original.Source.Sha256, contract.SourceSha256);
        Assert.Contains(result.Summaries, s => s.StartsWith("SlmOps: EdgeDense (linux-arm64): int4, ", StringComparison.Ordinal)
            && s.Contains("from Contoso.Models.Dense 1.2.0 (its variant for rpi5, validated: ", StringComparison.Ordinal));
        Assert.Equal([package], SlmOps.DepsFile.TryRead(byName.DepsPath)!.Inputs);
    }

    [Fact]
    public void A_package_without_a_variant_for_the_target_is_SLM5004_and_leaves_nothing()
    {
        var (package, _) = Packed();
        var model = new RequestModel(package, "Dense", _temp.Combine("app"), Target: "win-arm64-npu", RuntimeIdentifier: "win-arm64", FromPackage: true);

        var result = Restore(_temp.Combine("app.json"), model);

        Assert.Equal(1, result.ExitCode);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(["##slmops", "error", "SLM5004", package], diagnostic[..4]);
        Assert.StartsWith("SlmModel 'Dense': The model package Contoso.Models.Dense 1.2.0 has no variant for the target 'win-arm64-npu' (win-arm64, cpu); it has linux-x64 (linux-x64, cpu), rpi5 (linux-arm64, cpu).", diagnostic[4]);
        Assert.False(Directory.Exists(model.ModelDirectory) && Directory.EnumerateFiles(model.ModelDirectory, "*", SearchOption.AllDirectories).Any());
    }

    [Theory]
    [InlineData("slm/rpi5/model.onnx", "'slm/rpi5/model.onnx' has ")]
    [InlineData("slm/rpi5/manifest.json", "'slm/rpi5/model.onnx' has ")]
    public void A_tampered_package_is_SLM5002_and_nothing_is_extracted(string entryName, string expected)
    {
        var (package, _) = Packed();
        using (var zip = ZipFile.Open(package, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(entryName)!;
            byte[] bytes;
            using (var read = entry.Open())
            using (var copy = new MemoryStream())
            {
                read.CopyTo(copy);
                bytes = copy.ToArray();
            }

            // The model: one byte changed. The manifest: the model's recorded hash, as if it listed other bytes.
            if (entryName.EndsWith(".onnx", StringComparison.Ordinal))
            {
                bytes[^1] ^= 0x5a;
            }
            else
            {
                var manifest = VariantManifest.Read(System.Text.Encoding.UTF8.GetString(bytes));
                bytes = System.Text.Encoding.UTF8.GetBytes((manifest with { Files = [manifest.Files[0] with { Sha256 = new string('0', 64) }, .. manifest.Files.Skip(1)] }).ToJson());
            }

            entry.Delete();
            using var write = zip.CreateEntry(entryName).Open();
            write.Write(bytes);
        }

        var model = new RequestModel(package, "Dense", _temp.Combine("app"), Target: "linux-x64", FromPackage: true);
        var result = Restore(_temp.Combine("app.json"), model);

        Assert.Equal(1, result.ExitCode);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(["##slmops", "error", "SLM5002", package], diagnostic[..4]);
        Assert.StartsWith($"SlmModel 'Dense': The model package is not what its manifests say: {expected}", diagnostic[4]);
        Assert.False(Directory.Exists(model.ModelDirectory) && Directory.EnumerateFiles(model.ModelDirectory, "*", SearchOption.AllDirectories).Any());
    }

    /// <summary>A self-signed code-signing certificate, as a test signer.</summary>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2 Signer(string name)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={name}", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.3")], critical: false));
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509KeyUsageExtension(System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.DigitalSignature, critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(created.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null);
    }

    private static async Task<string> Sign(string package, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string folder)
    {
        string signed = Path.Combine(Path.GetDirectoryName(package)!, folder, Path.GetFileName(package));
        Directory.CreateDirectory(Path.GetDirectoryName(signed)!);
        using (var options = NuGet.Packaging.Signing.SigningOptions.CreateFromFilePaths(package, signed, overwrite: true,
            new NuGet.Packaging.Signing.X509SignatureProvider(timestampProvider: null), NuGet.Common.NullLogger.Instance))
        using (var request = new NuGet.Packaging.Signing.AuthorSignPackageRequest(certificate, NuGet.Common.HashAlgorithmName.SHA256))
        {
            await NuGet.Packaging.Signing.SigningUtility.SignAsync(options, request, CancellationToken.None);
        }

        return signed;
    }

    /// <summary>A folder whose nuget.config trusts <paramref name="trusted"/> (untrusted root allowed: it is self-signed).</summary>
    private string TrustingFolder(System.Security.Cryptography.X509Certificates.X509Certificate2 trusted)
    {
        string folder = _temp.Combine("app-project");
        Directory.CreateDirectory(folder);
        string fingerprint = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(trusted.RawData));
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <trustedSigners>
                <author name="contoso">
                  <certificate fingerprint="{fingerprint}" hashAlgorithm="SHA256" allowUntrustedRoot="true" />
                </author>
              </trustedSigners>
            </configuration>
            """);
        return folder;
    }

    [Fact]
    public async Task With_signatures_required_a_package_signed_by_a_trusted_signer_is_taken_and_an_unsigned_or_otherwise_signed_one_is_SLM5006()
    {
        var (package, _) = Packed();
        using var contoso = Signer("Contoso Models");
        using var mallory = Signer("Mallory");
        string trusting = TrustingFolder(contoso);
        string signed = await Sign(package, contoso, "contoso");
        string signedByMallory = await Sign(package, mallory, "mallory");

        var good = new RequestModel(signed, "Dense", _temp.Combine("good"), FromPackage: true, TrustedSignersFrom: trusting);
        var unsigned = new RequestModel(package, "Dense", _temp.Combine("unsigned"), FromPackage: true, TrustedSignersFrom: trusting);
        var byMallory = new RequestModel(signedByMallory, "Dense", _temp.Combine("mallory"), FromPackage: true, TrustedSignersFrom: trusting);

        var taken = Restore(_temp.Combine("good.json"), good);
        var refusedUnsigned = Restore(_temp.Combine("unsigned.json"), unsigned);
        var refusedMallory = Restore(_temp.Combine("mallory.json"), byMallory);

        Assert.True(taken.ExitCode == 0, taken.Out + taken.Error);
        Assert.True(File.Exists(good.VariantModelPath));
        var unsignedError = Assert.Single(refusedUnsigned.Diagnostics);
        Assert.Equal(["##slmops", "error", "SLM5006", package], unsignedError[..4]);
        Assert.Contains("SlmOpsRequireSignedModels is true and the model package is not signed by a trusted signer: it is not signed.", unsignedError[4]);
        var malloryError = Assert.Single(refusedMallory.Diagnostics);
        Assert.Equal("SLM5006", malloryError[2]);
        Assert.Contains("its signer is not one the NuGet configuration's trustedSigners trusts", malloryError[4]);
        Assert.False(File.Exists(unsigned.VariantModelPath) || File.Exists(byMallory.VariantModelPath));
    }
}
