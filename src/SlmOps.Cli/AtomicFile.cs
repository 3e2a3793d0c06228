using System.Security.Cryptography;
using System.Text;
using SlmOps.Onnx;

namespace SlmOps.Cli;

/// <summary>
/// Every output is written to a temporary name in its own folder and renamed over the target, so a crash or a
/// parallel reader never sees half a file.
/// </summary>
internal static class AtomicFile
{
    private const int BufferSize = 1 << 20;
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAllText(string path, string content) =>
        Commit(path, temp => File.WriteAllText(temp, content, s_utf8));

    /// <summary>Copies <paramref name="source"/> (the OS copies it; no hashing). Returns the copied length.</summary>
    public static long Copy(string source, string destination)
    {
        Commit(destination, temp =>
        {
            File.Copy(source, temp);
            // File.Copy keeps the source's time stamp; an output must look as new as the moment it was made.
            File.SetLastWriteTimeUtc(temp, DateTime.UtcNow);
        });
        return new FileInfo(destination).Length;
    }

    /// <summary>Copies <paramref name="input"/> while hashing it in the same pass; returns SHA-256 (lower-case hex) and length.</summary>
    public static (string Sha256, long Length) CopyWithSha256(Stream input, string destination)
    {
        string sha = "";
        long length = 0;
        Commit(destination, temp =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            var buffer = new byte[BufferSize];
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                output.Write(buffer, 0, read);
                length += read;
            }
            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        });
        return (sha, length);
    }

    /// <summary>SHA-256 of a file as lower-case hex, read in buffered chunks.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void Commit(string path, Action<string> writeTemp)
    {
        string? folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder ?? "", "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            writeTemp(temp);
            FileCommit.MoveIntoPlace(temp, path);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
