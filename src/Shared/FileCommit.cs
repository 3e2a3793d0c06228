using System;
using System.IO;
using System.Runtime.InteropServices;

namespace SlmOps
{
    /// <summary>
    /// The one way every SlmOps output is written, in the tasks, the worker and the ONNX writers: to a temp file in
    /// the destination's folder, then moved into place, so no reader ever sees half a file and a failure leaves none.
    /// Compiled as source into each assembly that writes (the tasks may reference nothing but MSBuild).
    /// </summary>
    internal static class FileCommit
    {
        /// <summary>A fresh temp path beside <paramref name="destination"/>: <c>.&lt;name&gt;.&lt;8 hex&gt;.tmp</c>.</summary>
        public static string TempPathFor(string destination) =>
            Path.Combine(Path.GetDirectoryName(destination) ?? "", "." + Path.GetFileName(destination) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp");

        /// <summary>
        /// Writes <paramref name="destination"/> through <paramref name="writeTemp"/>, which gets the temp path to write,
        /// creating the folder first. The temp file is gone afterwards, whether the write succeeded or threw.
        /// </summary>
        public static void Write(string destination, Action<string> writeTemp)
        {
            string? folder = Path.GetDirectoryName(destination);
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            string temp = TempPathFor(destination);
            try
            {
                writeTemp(temp);
                MoveIntoPlace(temp, destination);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }

        /// <summary>Writes <paramref name="content"/> as UTF-8 without a byte order mark.</summary>
        public static void WriteAllText(string destination, string content) =>
            Write(destination, temp => File.WriteAllText(temp, content, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)));

        /// <summary>
        /// Moves the finished <paramref name="temp"/> onto <paramref name="destination"/>. On Linux an existing
        /// destination is unlinked first: ext4 (auto_da_alloc) writes a file renamed over another one to disk inside the
        /// rename, which made replacing a 55 MB model take ~27 ms longer than writing a new one. The path is then briefly
        /// absent; an old file that is open or mapped stays readable by whoever holds it.
        /// </summary>
        public static void MoveIntoPlace(string temp, string destination)
        {
#if NETCOREAPP
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) File.Delete(destination);
            File.Move(temp, destination, overwrite: true);
#else
            // netstandard2.0 (the tasks) has no overwriting move.
            File.Delete(destination);
            File.Move(temp, destination);
#endif
        }
    }
}
