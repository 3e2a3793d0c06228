using System.Security.Cryptography;
using System.Text;

namespace SlmOps.Cli;

/// <summary>
/// The worker's writes: text, copies, and copies hashed in the same pass, each through <see cref="FileCommit"/> (a
/// temp file in the destination's folder, then moved into place), plus the hash of a finished file.
/// </summary>
internal static class AtomicFile
{
    private const int BufferSize = 1 << 20;

    public static void WriteAllText(string path, string content) => FileCommit.WriteAllText(path, content);

    /// <summary>Copies <paramref name="source"/> (the OS copies it; no hashing). Returns the copied length.</summary>
    public static long Copy(string source, string destination)
    {
        FileCommit.Write(destination, temp =>
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
        FileCommit.Write(destination, temp =>
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
}
