namespace SlmOps.Onnx;

/// <summary>The last step of every write: a finished temp file takes the place of its destination.</summary>
public static class FileCommit
{
    /// <summary>
    /// Moves the finished <paramref name="temp"/> onto <paramref name="destination"/>. Readers see the old file or the
    /// new one, never a half-written one. On Linux an existing destination is unlinked first: ext4 (auto_da_alloc)
    /// flushes a file renamed over another one to disk inside the rename, which made replacing a 55 MB model take
    /// ~27 ms longer than writing a new one; an open or mapped old file stays readable by whoever holds it.
    /// </summary>
    public static void MoveIntoPlace(string temp, string destination)
    {
        if (OperatingSystem.IsLinux()) File.Delete(destination);
        File.Move(temp, destination, overwrite: true);
    }
}
