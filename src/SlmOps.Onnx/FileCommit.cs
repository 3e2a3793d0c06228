namespace SlmOps.Onnx;

/// <summary>The last step of every write: a finished temp file takes the place of its destination.</summary>
public static class FileCommit
{
    /// <summary>
    /// Moves the finished <paramref name="temp"/> onto <paramref name="destination"/>, so no reader ever sees a
    /// half-written file. On Linux an existing destination is unlinked first: ext4 (auto_da_alloc) writes a file
    /// renamed over another one to disk inside the rename, which made replacing a 55 MB model take ~27 ms longer than
    /// writing a new one. The path is then briefly absent; an old file that is open or mapped stays readable by
    /// whoever holds it.
    /// </summary>
    public static void MoveIntoPlace(string temp, string destination)
    {
        if (OperatingSystem.IsLinux()) File.Delete(destination);
        File.Move(temp, destination, overwrite: true);
    }
}
