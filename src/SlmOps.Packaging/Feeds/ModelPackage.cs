using System.Security.Cryptography;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;

namespace SlmOps.Packaging;

/// <summary>The package's files could not be made, read, verified or pushed; the code says which (SLM5xxx).</summary>
public sealed class ModelPackageException(string code, string? filePath, string message, Exception? innerException = null)
    : SlmException(code, filePath, message, innerException)
{
    /// <summary>A model package cannot be made from the variants: bad id or version, no variant, a file that is not what its manifest says.</summary>
    public const string CannotPack = "SLM5001";

    /// <summary>A model package is not what its manifests say: a file missing, added, or with another hash or size (tampered or damaged).</summary>
    public const string VerificationFailed = "SLM5002";

    /// <summary>The feed did not take the package.</summary>
    public const string PushFailed = "SLM5003";

    /// <summary>A model package has no variant for the target a build asks for.</summary>
    public const string NoVariant = "SLM5004";
}

/// <summary>A model package as <see cref="ModelPackage.Pack"/> wrote it: its path and the manifests of its variants, in target order.</summary>
public sealed record PackedModel(string Path, IReadOnlyList<VariantManifest> Variants);

/// <summary>One variant inside a model package: its manifest and the package paths of its files (the model first).</summary>
public sealed record PackagedVariant(VariantManifest Manifest, IReadOnlyList<string> PackagePaths);

/// <summary>A model package that <see cref="ModelPackage.Verify"/> found to be what its manifests say: its id, version and variants.</summary>
public sealed record VerifiedPackage(string Path, string Id, string Version, IReadOnlyList<PackagedVariant> Variants)
{
    /// <summary>
    /// The variant for <paramref name="target"/>: the one made for a target of that name; else one for the same RID and
    /// execution provider, the plain RID's first (a package made for <c>linux-arm64</c> and <c>rpi5</c> gives a build
    /// for <c>linux-arm64</c> the first); null when there is none.
    /// </summary>
    public PackagedVariant? Select(DeviceTarget target) =>
        Variants.FirstOrDefault(v => string.Equals(v.Manifest.Target.Name, target.Name, StringComparison.OrdinalIgnoreCase))
        ?? Variants.Where(v => string.Equals(v.Manifest.Target.RuntimeIdentifier, target.RuntimeIdentifier, StringComparison.OrdinalIgnoreCase)
                && v.Manifest.Target.ExecutionProvider == target.ExecutionProvider)
            .OrderBy(v => v.Manifest.Target.IsProfile)
            .FirstOrDefault();
}

/// <summary>
/// Model packages: one NuGet package per model that carries the validated variant of every target the build made,
/// each under <c>slm/&lt;target&gt;/</c> with its manifest, plus the model's contract (<c>slm/contract.json</c>), so
/// that an application restoring the package from its feeds picks the variant for its RID. One package for all targets
/// rather than one per RID: several targets (device profiles) can share a RID, and the manifests say which is which.
/// Packing is deterministic (fixed zip times, sorted entries): the same variants give the same bytes.
/// </summary>
public static class ModelPackage
{
    /// <summary>The NuGet package type of model packages.</summary>
    public const string PackageTypeName = "SlmOpsModel";

    /// <summary>The folder inside the package that holds the variants.</summary>
    public const string Folder = "slm";

    /// <summary>
    /// Packs the variants under <paramref name="modelDirectory"/> (<c>obj/…/slm/&lt;Name&gt;/</c>: a folder per target
    /// with <c>manifest.json</c>, and <c>contract.json</c>) as <c>&lt;id&gt;.&lt;version&gt;.nupkg</c> in
    /// <paramref name="outputDirectory"/>, written to a temp file and renamed. Every variant file must have the size
    /// and SHA-256 its manifest gives (SLM5001 otherwise: nothing stale or changed is packed).
    /// </summary>
    /// <returns>The package's path and the variants it holds.</returns>
    /// <param name="modelDirectory">The model's folder a build prepared.</param>
    /// <param name="id">The package id.</param>
    /// <param name="version">The package version; null: the Version the variants' manifests record (the SlmModel's Version metadata).</param>
    /// <param name="outputDirectory">Where the package goes.</param>
    /// <param name="authors">The package's authors; null: SlmOps.</param>
    /// <param name="description">The package's description; null: the model and its targets.</param>
    public static PackedModel Pack(string modelDirectory, string id, string? version, string outputDirectory, string? authors = null, string? description = null)
    {
        string folder = Path.GetFullPath(modelDirectory);
        if (!PackageIdValidator.IsValidPackageId(id ?? ""))
            throw new ModelPackageException(ModelPackageException.CannotPack, null, $"'{id}' is not a NuGet package id: use letters, digits, '.', '_' and '-', such as Contoso.Models.MiniLm.");
        if (!string.IsNullOrEmpty(version) && !NuGetVersion.TryParse(version, out _))
            throw new ModelPackageException(ModelPackageException.CannotPack, null, $"'{version}' is not a package version: give a semantic version such as 1.2.0.");
        if (!Directory.Exists(folder))
            throw new ModelPackageException(ModelPackageException.CannotPack, folder, "The model folder does not exist. Give the folder a build prepared, obj/<configuration>/<framework>/slm/<Name>/.");

        var builder = new PackageBuilder(deterministic: true)
        {
            Id = id!,
            Description = description ?? "",
        };
        var versions = new HashSet<string?>();
        builder.PackageTypes.Add(new PackageType(PackageTypeName, new Version(1, 0)));
        var variants = new List<VariantManifest>();
        foreach (string targetFolder in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            string manifestPath = Path.Combine(targetFolder, "manifest.json");
            if (!File.Exists(manifestPath)) continue;
            VariantManifest manifest = ReadManifest(File.ReadAllText(manifestPath), manifestPath, ModelPackageException.CannotPack);
            string target = Path.GetFileName(targetFolder);
            if (manifest.Validation is { Passed: false })
                throw new ModelPackageException(ModelPackageException.CannotPack, manifestPath, $"The variant for '{target}' failed its validation (ValidationMode=warn shipped it to the output): a package carries validated variants only.");
            if (manifest.Target.Name != target)
                throw new ModelPackageException(ModelPackageException.CannotPack, manifestPath, $"The manifest is for the target '{manifest.Target.Name}', but it is in the folder '{target}'. Build again to write the variants where they belong.");
            foreach (VariantFile file in manifest.Files)
            {
                string path = Path.Combine(targetFolder, file.Path);
                if (!File.Exists(path) || new FileInfo(path).Length != file.Size || !HashOf(path).Equals(file.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new ModelPackageException(ModelPackageException.CannotPack, path,
                        $"The file is not what the manifest of '{target}' says (size {file.Size:N0}, SHA-256 {file.Sha256}): it changed or is missing since the build validated it. Build again, then pack.");
                }

                builder.Files.Add(new PhysicalPackageFile { SourcePath = path, TargetPath = $"{Folder}/{target}/{file.Path}" });
            }

            builder.Files.Add(new PhysicalPackageFile { SourcePath = manifestPath, TargetPath = $"{Folder}/{target}/manifest.json" });
            variants.Add(manifest);
            versions.Add(manifest.Version);
        }

        if (variants.Count == 0)
            throw new ModelPackageException(ModelPackageException.CannotPack, folder, "The folder has no variant: no <target>/manifest.json. Build the project first; the variants are in obj/<configuration>/<framework>/slm/<Name>/.");
        // The model's Version metadata, which every manifest records, unless the caller gives one.
        if (string.IsNullOrEmpty(version))
        {
            if (versions.Count != 1 || versions.Single() is not { } recorded)
                throw new ModelPackageException(ModelPackageException.CannotPack, folder, "Give the package version (--version): the variants' manifests record no Version, or different ones. Set the SlmModel's Version metadata, or pass --version.");
            version = recorded;
        }

        NuGetVersion parsed = NuGetVersion.Parse(version);
        builder.Version = parsed;
        string contract = Path.Combine(folder, "contract.json");
        if (File.Exists(contract)) builder.Files.Add(new PhysicalPackageFile { SourcePath = contract, TargetPath = $"{Folder}/contract.json" });
        builder.Authors.Add(string.IsNullOrWhiteSpace(authors) ? "SlmOps" : authors);
        if (builder.Description.Length == 0) builder.Description = $"SlmOps model package {id}: {string.Join(", ", variants.Select(v => $"{v.Target.Name} ({v.Precision})"))}.";

        string output = Path.Combine(Path.GetFullPath(outputDirectory), $"{id}.{parsed.ToNormalizedString()}.nupkg");
        FileCommit.Write(output, temp =>
        {
            using var stream = File.Create(temp);
            builder.Save(stream);
        });
        return new PackedModel(output, variants);
    }

    /// <summary>
    /// Reads and verifies a model package: every <c>slm/&lt;target&gt;/manifest.json</c> parses, every file it names is in
    /// the package with its size and SHA-256, and the package has no other file under <c>slm/</c> but the contract.
    /// Throws <see cref="ModelPackageException"/> (SLM5002) naming what differs: a tampered or damaged package.
    /// </summary>
    public static VerifiedPackage Verify(string packagePath)
    {
        string path = Path.GetFullPath(packagePath);
        try
        {
            using var reader = new PackageArchiveReader(path);
            PackageIdentity identity = reader.GetIdentity();
            var files = reader.GetFiles().Where(f => f.StartsWith(Folder + "/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
            var expected = new HashSet<string>(StringComparer.Ordinal) { $"{Folder}/contract.json" };
            var variants = new List<PackagedVariant>();
            foreach (string manifestPath in files.Where(f => f.EndsWith("/manifest.json", StringComparison.Ordinal) && f.Count(c => c == '/') == 2).Order(StringComparer.Ordinal))
            {
                string target = manifestPath.Split('/')[1];
                using var text = new StreamReader(reader.GetStream(manifestPath));
                VariantManifest manifest = ReadManifest(text.ReadToEnd(), path, ModelPackageException.VerificationFailed);
                if (manifest.Target.Name != target)
                    throw Tampered(path, $"'{manifestPath}' is the manifest of '{manifest.Target.Name}'.");
                expected.Add(manifestPath);
                var paths = new List<string>();
                foreach (VariantFile file in manifest.Files)
                {
                    string entry = $"{Folder}/{target}/{file.Path}";
                    if (!files.Contains(entry)) throw Tampered(path, $"'{entry}', which the manifest of '{target}' lists, is not in the package.");
                    using var stream = reader.GetStream(entry);
                    var (sha, size) = HashOf(stream);
                    if (size != file.Size || !sha.Equals(file.Sha256, StringComparison.OrdinalIgnoreCase))
                        throw Tampered(path, $"'{entry}' has {size:N0} bytes with SHA-256 {sha}; its manifest says {file.Size:N0} bytes with {file.Sha256}.");
                    expected.Add(entry);
                    paths.Add(entry);
                }

                variants.Add(new PackagedVariant(manifest, paths));
            }

            if (variants.Count == 0) throw Tampered(path, $"it has no {Folder}/<target>/manifest.json: it is not an SlmOps model package.");
            if (files.FirstOrDefault(f => !expected.Contains(f)) is { } extra)
                throw Tampered(path, $"'{extra}' is in the package but in no manifest.");
            return new VerifiedPackage(path, identity.Id, identity.Version.ToNormalizedString(), variants);
        }
        catch (Exception ex) when (ex is InvalidDataException or PackagingException or IOException)
        {
            throw new ModelPackageException(ModelPackageException.VerificationFailed, path, $"The package cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Writes the files of <paramref name="variant"/> from the package into <paramref name="directory"/>, each to a
    /// temp file hashed as it is written and renamed only when its size and SHA-256 are the manifest's: the bytes
    /// extracted are the bytes verified, even if the package changed since <see cref="Verify"/>. Throws SLM5002
    /// otherwise; <paramref name="writing"/> gets each destination before it is written, so a caller can remove what
    /// an error leaves.
    /// </summary>
    public static void Extract(VerifiedPackage package, PackagedVariant variant, string directory, Action<string> writing)
    {
        try
        {
            using var reader = new PackageArchiveReader(package.Path);
            string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
            for (int i = 0; i < variant.PackagePaths.Count; i++)
            {
                VariantFile file = variant.Manifest.Files[i];
                string destination = Path.GetFullPath(Path.Combine(root, file.Path));
                // The model first, then its data files: none outside the folder, none named like a file the SDK writes.
                bool misplaced = i == 0
                    ? file.Path != WorkerFiles.Variant
                    : WorkerFiles.ReservedNameOf(file.Path) is not null;
                if (misplaced || !destination.StartsWith(root, StringComparison.Ordinal))
                    throw Tampered(package.Path, $"the manifest of '{variant.Manifest.Target.Name}' lists '{file.Path}' as its file {i + 1}, a place no variant file may have.");
                writing(destination);
                FileCommit.Write(destination, temp =>
                {
                    using var input = reader.GetStream(variant.PackagePaths[i]);
                    using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
                    var (sha, size) = HashOf(input, output);
                    if (size != file.Size || !sha.Equals(file.Sha256, StringComparison.OrdinalIgnoreCase))
                        throw Tampered(package.Path, $"'{variant.PackagePaths[i]}' has {size:N0} bytes with SHA-256 {sha}; its manifest says {file.Size:N0} bytes with {file.Sha256}.");
                });
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or PackagingException)
        {
            throw new ModelPackageException(ModelPackageException.VerificationFailed, package.Path, $"The package cannot be read: {ex.Message}", ex);
        }
    }

    private static ModelPackageException Tampered(string path, string what) =>
        new(ModelPackageException.VerificationFailed, path, $"The model package is not what its manifests say: {what} Do not use it; pack and push it again from a build.");

    private static VariantManifest ReadManifest(string json, string path, string code)
    {
        try
        {
            return VariantManifest.Read(json);
        }
        catch (FormatException ex)
        {
            throw new ModelPackageException(code, path, $"A variant manifest cannot be read: {ex.Message}", ex);
        }
    }

    private static string HashOf(string path)
    {
        using var stream = File.OpenRead(path);
        return HashOf(stream).Sha256;
    }

    private static (string Sha256, long Size) HashOf(Stream stream, Stream? copyTo = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long size = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            copyTo?.Write(buffer, 0, read);
            size += read;
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size);
    }
}
