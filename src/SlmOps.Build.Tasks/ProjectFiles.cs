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
    }
}
