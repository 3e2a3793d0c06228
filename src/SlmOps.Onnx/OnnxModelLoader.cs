using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using Google.Protobuf;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>Options for <see cref="OnnxModelLoader.Load"/>.</summary>
public sealed class OnnxLoadOptions
{
    public static OnnxLoadOptions Default { get; } = new();

    /// <summary>Compute <see cref="OnnxModel.Sha256"/> from the bytes already read for parsing (in parallel with the parse).</summary>
    public bool ComputeSha256 { get; init; } = true;

    /// <summary>
    /// Deepest message nesting the parser accepts. Each subgraph level costs three (graph, node, attribute), so 100
    /// allows about 30 levels of If/Loop nesting while keeping hostile files from exhausting the stack. 100 is also
    /// Google.Protobuf's default, which keeps the fast span parser; other values use the slower stream parser.
    /// </summary>
    public int RecursionLimit { get; init; } = 100;

    /// <summary>
    /// When set, main-graph initializers whose <c>raw_data</c> has at least this many bytes are not copied into memory:
    /// the model's <see cref="OnnxModel.Proto"/> lacks those payloads and <see cref="OnnxModel.GetTensorData"/> reports
    /// them as <see cref="TensorStorage.Deferred"/>; read them with <see cref="OnnxModel.OpenPayloads"/>. Memory then
    /// stays at the size of the graph structure, whatever the size of the weights. The hash (if asked for) is then
    /// computed from buffered reads so that it does not map the whole file into the process either.
    /// </summary>
    public long? DeferPayloadsOfAtLeast { get; init; }
}

/// <summary>
/// Opens <c>.onnx</c> files with checks that turn every way a file can be wrong into an <see cref="OnnxModelException"/>
/// with an SLM2xxx code, before anything else touches the model.
/// </summary>
public static class OnnxModelLoader
{
    /// <summary>The newest IR version ONNX Runtime 1.31.1 loads.</summary>
    public const long MaxSupportedIrVersion = 13;

    /// <summary>Loads, parses and checks a model: it is ONNX, complete, its IR version is supported, and its external data is safe and present.</summary>
    public static OnnxModel Load(string path, OnnxLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxLoadOptions.Default;
        string fullPath = Path.GetFullPath(path);

        long length;
        string? sha256;
        ModelProto proto;
        var deferred = new Dictionary<TensorProto, PayloadRange>(ReferenceEqualityComparer.Instance);
        using (var file = Open(fullPath))
        {
            length = file.Length;
            if (length == 0)
                throw new OnnxModelException(OnnxErrorCodes.NotAnOnnxModel, fullPath, "The file is empty, not an ONNX model.");
            if (length > Array.MaxLength)
            {
                throw new OnnxModelException(OnnxErrorCodes.NotAnOnnxModel, fullPath,
                    $"The file is {length:N0} bytes; a protobuf ONNX file cannot exceed 2 GB. Save the weights as external data (onnx.save_model(..., save_as_external_data=True)).");
            }

            proto = ParseMapped(fullPath, file, (int)length, options, deferred, out sha256);
        }

        CheckIsSupportedModel(fullPath, proto);
        var externalFiles = CheckExternalData(fullPath, proto);
        return new OnnxModel(fullPath, proto, length, sha256, externalFiles, deferred);
    }

    private static FileStream Open(string fullPath)
    {
        if (Directory.Exists(fullPath))
            throw new OnnxModelException(OnnxErrorCodes.FileNotFound, fullPath, "The model path is a folder, not a file; point to the .onnx file.");
        try
        {
            return new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileNotFound, fullPath, "The model file does not exist; check the path (it is relative to the project folder).", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileAccessFailed, fullPath, $"The model file cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Parses straight from a read-only memory map of the file (no 2nd copy of the bytes in managed memory) and, in
    /// parallel, hashes the same mapped bytes, so hashing costs no extra read and little extra time.
    /// </summary>
    private static unsafe ModelProto ParseMapped(string fullPath, FileStream file, int length, OnnxLoadOptions options,
        Dictionary<TensorProto, PayloadRange> deferred, out string? sha256)
    {
        MemoryMappedFile map;
        MemoryMappedViewAccessor view;
        try
        {
            map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileAccessFailed, fullPath, $"The model file cannot be read: {ex.Message}", ex);
        }

        using (map)
        using (view)
        {
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            try
            {
                nint start = (nint)(pointer + view.PointerOffset);
                bool defer = options.DeferPayloadsOfAtLeast is not null;
                Task<byte[]>? hash = !options.ComputeSha256 ? null
                    : defer ? Task.Run(() => HashFile(fullPath))
                    : Task.Run(() => SHA256.HashData(new ReadOnlySpan<byte>((void*)start, length)));
                try
                {
                    var bytes = new ReadOnlySpan<byte>((void*)start, length);
                    var proto = (defer ? DeferredPayloadParser.TryParse(bytes, options.DeferPayloadsOfAtLeast!.Value, deferred) : null)
                        ?? Parse(fullPath, bytes, options.RecursionLimit);
                    sha256 = hash is null ? null : Convert.ToHexStringLower(hash.Result);
                    return proto;
                }
                finally
                {
                    // The hash reads the mapping: it must finish before the view is released.
                    if (hash is not null) ((IAsyncResult)hash).AsyncWaitHandle.WaitOne();
                }
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
    }

    private static byte[] HashFile(string fullPath)
    {
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return SHA256.HashData(stream);
    }

    /// <summary>Protobuf's own default nesting limit; the span parser always uses it.</summary>
    private const int ProtobufDefaultRecursionLimit = 100;

    private static unsafe ModelProto Parse(string fullPath, ReadOnlySpan<byte> bytes, int recursionLimit)
    {
        try
        {
            if (recursionLimit == ProtobufDefaultRecursionLimit)
                return ModelProto.Parser.ParseFrom(bytes);

            // Another limit needs the stream API, which is slower on large models.
            fixed (byte* p = bytes)
            {
                using var stream = new UnmanagedMemoryStream(p, bytes.Length);
                using var input = CodedInputStream.CreateWithLimits(stream, int.MaxValue, recursionLimit);
                return ModelProto.Parser.ParseFrom(input);
            }
        }
        catch (InvalidProtocolBufferException ex)
        {
            if (ex.Message.Contains("levels of nesting", StringComparison.OrdinalIgnoreCase))
            {
                throw new OnnxModelException(OnnxErrorCodes.NotAnOnnxModel, fullPath,
                    $"The file nests messages deeper than {recursionLimit} levels; it is not an ONNX model this tool accepts.", ex);
            }

            // A cut-off file fails with "truncated"; random bytes can too, so only call it truncated when the file
            // starts the way every ONNX writer starts: field 1 (ir_version) as a small varint.
            if (ex.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase) && StartsLikeOnnx(bytes))
            {
                throw new OnnxModelException(OnnxErrorCodes.TruncatedOrCorrupt, fullPath,
                    "The ONNX file ends in the middle of a message: it is truncated or corrupt. Copy or download it again.", ex);
            }

            throw new OnnxModelException(OnnxErrorCodes.NotAnOnnxModel, fullPath,
                $"The file is not an ONNX model (protobuf parse failed: {ex.Message})", ex);
        }
    }

    private static bool StartsLikeOnnx(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 2 && bytes[0] == 0x08 && bytes[1] >= 1 && bytes[1] <= 0x7F;

    private static void CheckIsSupportedModel(string fullPath, ModelProto proto)
    {
        // Random bytes often parse as some protobuf message; a model has both an IR version and a graph.
        if (!proto.HasIrVersion || proto.IrVersion <= 0 || proto.Graph is null)
        {
            throw new OnnxModelException(OnnxErrorCodes.NotAnOnnxModel, fullPath,
                "The file parses as protobuf but is not an ONNX model (no IR version or no graph).");
        }

        if (proto.IrVersion > MaxSupportedIrVersion)
        {
            throw new OnnxModelException(OnnxErrorCodes.UnsupportedIrVersion, fullPath,
                $"The model has IR version {proto.IrVersion}; ONNX Runtime 1.31.1 loads up to {MaxSupportedIrVersion}. Export it with an older onnx package or convert it (onnx.version_converter).");
        }
    }

    private static IReadOnlyList<ExternalDataFile> CheckExternalData(string fullPath, ModelProto proto)
    {
        string directory = Path.GetDirectoryName(fullPath)!;
        var files = new Dictionary<string, (string Relative, long FileLength, long Bytes, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();

        foreach (var tensor in ModelWalker.EnumerateTensors(proto))
        {
            if (!TensorData.IsExternal(tensor)) continue;

            ExternalDataReference reference;
            try
            {
                reference = ExternalDataReference.Parse(tensor);
            }
            catch (FormatException ex)
            {
                throw new OnnxModelException(OnnxErrorCodes.ExternalDataUnreadable, fullPath, ex.Message + " Re-save the model's external data.", ex);
            }

            string? problem = PathSafety.CheckRelativeLocation(directory, reference.Location, out string dataPath);
            if (problem is not null)
            {
                throw new OnnxModelException(OnnxErrorCodes.UnsafeExternalDataPath, fullPath,
                    $"Tensor '{tensor.Name}' has external data at '{reference.Location}', which is refused: {problem}. External-data files must be inside the model's folder.");
            }

            if (!files.TryGetValue(dataPath, out var entry))
            {
                var info = new FileInfo(dataPath);
                if (!info.Exists)
                {
                    throw new OnnxModelException(OnnxErrorCodes.ExternalDataUnreadable, dataPath,
                        $"The external-data file '{reference.Location}' of tensor '{tensor.Name}' (model '{fullPath}') does not exist; copy it beside the model.");
                }
                entry = (reference.Location.Replace('\\', '/'), info.Length, 0, 0);
                order.Add(dataPath);
            }

            long? length = reference.Length ?? TensorData.Of(tensor).ExpectedByteLength;
            if (reference.Offset > entry.FileLength || (length ?? 0) > entry.FileLength - reference.Offset)
            {
                decimal end = (decimal)reference.Offset + (length ?? 0);
                throw new OnnxModelException(OnnxErrorCodes.ExternalDataUnreadable, dataPath,
                    $"The external-data file '{reference.Location}' is {entry.FileLength:N0} bytes, but tensor '{tensor.Name}' (model '{fullPath}') needs bytes up to {end:N0}; the file is truncated or belongs to another model.");
            }

            files[dataPath] = (entry.Relative, entry.FileLength, entry.Bytes + (length ?? 0), entry.Count + 1);
        }

        return order.Select(p => new ExternalDataFile(files[p].Relative, p, files[p].FileLength, files[p].Bytes, files[p].Count)).ToList();
    }
}
