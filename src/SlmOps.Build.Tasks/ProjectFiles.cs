using Microsoft.Build.Framework;

namespace SlmOps.Build.Tasks
{
    /// <summary>Which file the tasks report item errors on.</summary>
    internal static class ProjectFiles
    {
        /// <summary>
        /// The project, as the targets pass it (<c>ProjectFile="$(MSBuildProjectFullPath)"</c>). The engine's
        /// <c>ProjectFileOfTaskNode</c> is only the fallback (for tasks run without the parameter): it is the file that
        /// holds the task call, the SDK's targets file in the NuGet cache, where a click in an IDE would land.
        /// </summary>
        public static string Of(string projectFile, IBuildEngine? engine) =>
            projectFile.Length > 0 ? projectFile : engine?.ProjectFileOfTaskNode ?? "";

        /// <summary>
        /// <paramref name="path"/> relative to <paramref name="directory"/> with <c>/</c> separators (<c>models/a.onnx</c>,
        /// <c>../shared/a.onnx</c>), as the manifest records a source so that two checkouts in different folders write
        /// the same manifest; the path as given when it has no relative form (another drive).
        /// </summary>
        public static string RelativePath(string directory, string path)
        {
            if (directory.Length == 0) return path;
            string folder = directory.EndsWith("/", System.StringComparison.Ordinal) || directory.EndsWith("\\", System.StringComparison.Ordinal) ? directory : directory + System.IO.Path.DirectorySeparatorChar;
            var relative = new System.Uri(folder).MakeRelativeUri(new System.Uri(path));
            return relative.IsAbsoluteUri ? path : System.Uri.UnescapeDataString(relative.ToString());
        }
    }
}
