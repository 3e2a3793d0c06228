using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Packaging.Signing;

namespace SlmOps.Packaging;

/// <summary>
/// Signature verification of model packages for <c>SlmOpsRequireSignedModels=true</c>: the package must carry a
/// NuGet author or repository signature that is intact, valid, and made by a signer the project's NuGet configuration
/// trusts (its <c>trustedSigners</c> section, the one <c>dotnet nuget trust</c> edits), with NuGet's own verification
/// providers. NuGet's restore checks signatures only in <c>signatureValidationMode=require</c>; this makes one project
/// require them for its models whatever the machine's mode.
/// </summary>
public static class ModelSignature
{
    /// <summary>An unsigned package, a broken or invalid signature, or a signer the configuration does not trust.</summary>
    public const string Untrusted = "SLM5006";

    /// <summary>
    /// Verifies <paramref name="packagePath"/>'s signature against the trusted signers of the NuGet configuration that
    /// applies in <paramref name="settingsDirectory"/> (the project's folder: its nuget.config files up the tree and
    /// the user's). Throws <see cref="ModelPackageException"/> (SLM5006) naming what NuGet found.
    /// </summary>
    public static async Task VerifyAsync(string packagePath, string settingsDirectory, CancellationToken cancellationToken = default)
    {
        string path = Path.GetFullPath(packagePath);
        ISettings settings = Settings.LoadDefaultSettings(settingsDirectory);
        var policy = ClientPolicyContext.GetClientPolicy(settings, NullLogger.Instance);
        IReadOnlyCollection<VerificationAllowListEntry> allowList = policy.AllowList ?? [];
        var untrustedRoots = allowList.OfType<TrustedSignerAllowListEntry>().Where(e => e.AllowUntrustedRoot)
            .Select(e => new KeyValuePair<string, HashAlgorithmName>(e.Fingerprint, e.FingerprintAlgorithm)).ToList();
        var verifier = new PackageSignatureVerifier(
        [
            new IntegrityVerificationProvider(),
            new SignatureTrustAndValidityVerificationProvider(untrustedRoots),
            new AllowListVerificationProvider(allowList, requireNonEmptyAllowList: true,
                emptyListErrorMessage: "the NuGet configuration trusts no signer (add one to its trustedSigners section with `dotnet nuget trust`)",
                noMatchErrorMessage: "its signer is not one the NuGet configuration's trustedSigners trusts"),
        ]);

        VerifySignaturesResult result;
        try
        {
            using var reader = new PackageArchiveReader(path);
            result = await verifier.VerifySignaturesAsync(reader, SignedPackageVerifierSettings.GetRequireModeDefaultPolicy(EnvironmentVariableWrapper.Instance), cancellationToken, Guid.NewGuid()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or NuGet.Packaging.Core.PackagingException or SignatureException)
        {
            throw new ModelPackageException(Untrusted, path, $"The model package's signature cannot be verified: {ex.Message} SlmOpsRequireSignedModels is true: use a package signed by a signer you trust.", ex);
        }

        if (result.IsValid) return;
        var issues = result.Results.SelectMany(r => r.GetErrorIssues()).Select(i => $"{i.Code}: {i.Message}").Distinct().ToList();
        string what = result.IsSigned ? string.Join(" ", issues.DefaultIfEmpty("its signature is not valid.")) : "it is not signed.";
        throw new ModelPackageException(Untrusted, path,
            $"SlmOpsRequireSignedModels is true and the model package is not signed by a trusted signer: {what} Use a package signed by a signer in your nuget.config's trustedSigners (dotnet nuget trust), or sign it (dotnet nuget sign).");
    }
}
