namespace SlmOps.Testing;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? prefix = null)
    {
        FullPath = Path.Combine(Path.GetTempPath(), (prefix ?? "slmops-test") + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(FullPath);
    }

    public string FullPath { get; }

    /// <summary>A path inside the folder (not created).</summary>
    public string Combine(params string[] parts) => Path.Combine([FullPath, .. parts]);

    /// <summary>Creates a subfolder and returns its path.</summary>
    public string CreateDirectory(params string[] parts) => Directory.CreateDirectory(Combine(parts)).FullName;

    /// <summary>Writes a file inside the folder (creating subfolders) and returns its full path.</summary>
    public string WriteFile(string relativePath, string content = "x")
    {
        string path = Combine(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public override string ToString() => FullPath;

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(FullPath)) Directory.Delete(FullPath, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on Windows: leave it to the temp cleaner rather than fail the test.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
