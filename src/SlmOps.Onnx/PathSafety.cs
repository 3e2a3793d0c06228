namespace SlmOps.Onnx;

/// <summary>Checks that a relative location from a model file stays inside the model's folder, symlinks included.</summary>
internal static class PathSafety
{
    private const int MaxLinkHops = 40;

    /// <summary>
    /// Returns null when <paramref name="location"/> is acceptable as written, else the reason: not empty, no NUL,
    /// relative, and no <c>..</c> segment anywhere. Where it really leads is checked on the opened file.
    /// </summary>
    public static string? CheckLocationSyntax(string location)
    {
        if (string.IsNullOrWhiteSpace(location)) return "the location is empty";
        if (location.Contains('\0')) return "the location contains a NUL character";
        if (location[0] is '/' or '\\' || Path.IsPathRooted(location) || (location.Length >= 2 && location[1] == ':'))
            return "the location is an absolute path";
        if (location.Split('/', '\\').Any(segment => segment == ".."))
            return "the location contains a '..' segment";
        return null;
    }

    /// <summary>
    /// The path with every symbolic link resolved, component by component; components that do not exist are kept as
    /// they are. Throws <see cref="IOException"/> on a link loop.
    /// </summary>
    public static string GetRealPath(string fullPath)
    {
        var remaining = new Queue<string>(Split(fullPath, out string current));
        int hops = 0;
        while (remaining.Count > 0)
        {
            string next = Path.Combine(current, remaining.Dequeue());
            string? target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops) throw new IOException($"Too many levels of symbolic links at '{next}'.");
            string resolved = Path.GetFullPath(target, current);
            var rest = remaining.ToArray();
            remaining = new Queue<string>(Split(resolved, out current).Concat(rest));
        }
        return current;
    }

    private static string[] Split(string fullPath, out string root)
    {
        root = Path.GetPathRoot(fullPath) ?? "";
        return fullPath[root.Length..].Split(
            [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>True when <paramref name="path"/> is below <paramref name="directory"/> (both real, absolute paths).</summary>
    public static bool IsInside(string directory, string path)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
            ? StringComparison.OrdinalIgnoreCase
            : StringComparison.Ordinal;
        string prefix = Path.EndsInDirectorySeparator(directory) ? directory : directory + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, comparison);
    }
}
