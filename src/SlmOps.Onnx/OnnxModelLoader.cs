using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Win32.SafeHandles;
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

    /// <summary>
    /// Accept external-data files that have more than one hard link. Off by default: a hard link makes a file that
    /// lives outside the model's folder (a key, a credential) appear inside it, and no path check can tell. Build
    /// caches that deduplicate files with hard links need it on (SDK: <c>SlmOpsAllowHardLinks</c>; CLI:
    /// <c>--allow-hard-links</c>).
    /// </summary>
    public bool AllowHardLinks { get; init; }
}

/// <summary>
/// Opens <c>.onnx</c> files with checks that turn every way a file can be wrong into an <see cref="OnnxModelException"/>
/// with an SLM2xxx code, before anything else touches the model.
/// </summary>
public static class OnnxModelLoader
{
    /// <summary>The newest IR version ONNX Runtime 1.31.1 loads.</summary>
    public const long MaxSupportedIrVersion = 13;

    /// <summary>
    /// Loads, parses and checks a model: it is ONNX, complete, its IR version is supported, every tensor's payload has
    /// the size its shape needs, and its external data is safe and present. The model keeps the files open (dispose it):
    /// every later read goes through the handles that were checked, never through the paths again.
    /// </summary>
    public static OnnxModel Load(string path, OnnxLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxLoadOptions.Default;
        string fullPath = Path.GetFullPath(path);

        var handles = new Dictionary<string, SafeFileHandle>(StringComparer.Ordinal);
        try
        {
            var file = Open(fullPath, out long length);
            handles.Add(fullPath, file);
            if (length == 0)
                throw new OnnxModelException(OnnxErrorCodes.NotAnOnnxModel, fullPath, "The file is empty, not an ONNX model.");
            if (length > Array.MaxLength)
            {
                throw new OnnxModelException(OnnxErrorCodes.NotAnOnnxModel, fullPath,
                    $"The file is {length:N0} bytes; a protobuf ONNX file cannot exceed 2 GB. Save the weights as external data (onnx.save_model(..., save_as_external_data=True)).");
            }

            var deferred = new Dictionary<TensorProto, PayloadRange>(ReferenceEqualityComparer.Instance);
            var proto = ParseMapped(fullPath, file, (int)length, options, deferred, out string? sha256);
            CheckIsSupportedModel(fullPath, proto);
            var externalFiles = CheckTensors(fullPath, proto, deferred, options, handles);
            return new OnnxModel(fullPath, proto, length, sha256, externalFiles, deferred, handles);
        }
        catch
        {
            foreach (var handle in handles.Values) handle.Dispose();
            throw;
        }
    }

    /// <summary>Opens the model file itself: the path the user gave (links followed), but only a regular file.</summary>
    private static SafeFileHandle Open(string fullPath, out long length)
    {
        if (Directory.Exists(fullPath))
            throw new OnnxModelException(OnnxErrorCodes.FileNotFound, fullPath, "The model path is a folder, not a file; point to the .onnx file.");
        SafeFileHandle handle;
        FileFacts facts;
        try
        {
            handle = SafeFile.Open(fullPath, followFinalLink: true, out facts);
        }
        catch (SafeOpenException ex) when (ex.Failure == OpenFailure.NotFound)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileNotFound, fullPath, "The model file does not exist; check the path (it is relative to the project folder).", ex);
        }
        catch (SafeOpenException ex) when (ex.Failure == OpenFailure.SymbolicLink)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileNotFound, fullPath, $"The model path does not lead to a file: {ex.Message} (a loop of symbolic links).", ex);
        }
        catch (SafeOpenException ex)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileAccessFailed, fullPath, $"The model file cannot be read: {ex.Message}", ex);
        }

        if (facts.Kind != FileKind.Regular)
        {
            handle.Dispose();
            throw new OnnxModelException(OnnxErrorCodes.FileNotFound, fullPath, $"The model path is {Describe(facts.Kind)}, not a regular file; point to the .onnx file.");
        }
        length = facts.Length;
        return handle;
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a folder",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.CharacterDevice or FileKind.BlockDevice => "a device",
        FileKind.Socket => "a socket",
        FileKind.SymbolicLink => "a symbolic link",
        _ => "not a file",
    };

    /// <summary>
    /// Parses straight from a read-only memory map of the file (no 2nd copy of the bytes in managed memory) and, in
    /// parallel, hashes the same mapped bytes, so hashing costs no extra read and little extra time.
    /// </summary>
    private static unsafe ModelProto ParseMapped(string fullPath, SafeFileHandle file, int length, OnnxLoadOptions options,
        Dictionary<TensorProto, PayloadRange> deferred, out string? sha256)
    {
        MemoryMappedFile map;
        MemoryMappedViewAccessor view;
        try
        {
            map = MemoryMappedFile.CreateFromFile(file, null, length, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
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
                    : defer ? Task.Run(() => HashFile(file, length))
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

    private static byte[] HashFile(SafeFileHandle file, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long position = 0; position < length;)
        {
            int read = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - position)), position);
            if (read == 0) break;
            hash.AppendData(buffer, 0, read);
            position += read;
        }
        return hash.GetHashAndReset();
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

    /// <summary>
    /// One rule for every tensor, whatever command loads the model: the shape is possible (no negative dimension, no
    /// overflowing element count), the payload has exactly the bytes the shape and element type need, and external data
    /// is a regular file inside the model's folder that holds those bytes. Opens each external-data file once.
    /// </summary>
    private static IReadOnlyList<ExternalDataFile> CheckTensors(string fullPath, ModelProto proto, Dictionary<TensorProto, PayloadRange> deferred,
        OnnxLoadOptions options, Dictionary<string, SafeFileHandle> handles)
    {
        string directory = Path.GetDirectoryName(fullPath)!;
        string? realBase = null;
        var files = new Dictionary<string, (string Relative, long FileLength, long Bytes, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();

        foreach (var tensor in ModelWalker.EnumerateTensors(proto))
        {
            if (!TensorData.IsExternal(tensor))
            {
                var data = deferred.TryGetValue(tensor, out var range) ? TensorData.Deferred(tensor, fullPath, range) : TensorData.Of(tensor);
                long? expected = CheckShape(fullPath, data);
                if (expected is long bytes && data.ByteLength != bytes)
                {
                    throw new OnnxModelException(OnnxErrorCodes.TruncatedOrCorrupt, fullPath,
                        $"Tensor '{tensor.Name}' ({data.ElementType} [{string.Join(", ", data.Dims)}]) has {data.ByteLength:N0} payload bytes, but its shape needs {bytes:N0}: the model is corrupt. Export it again.");
                }
                continue;
            }

            ExternalDataReference reference;
            try
            {
                reference = ExternalDataReference.Parse(tensor);
            }
            catch (FormatException ex)
            {
                throw new OnnxModelException(OnnxErrorCodes.ExternalDataUnreadable, fullPath, ex.Message + " Re-save the model's external data.", ex);
            }

            if (PathSafety.CheckLocationSyntax(reference.Location) is { } problem) throw Refused(fullPath, tensor, reference.Location, problem);
            // The shape is checked before anything is opened: a corrupt tensor costs no I/O.
            long? needed = CheckShape(fullPath, TensorData.Of(tensor));
            string dataPath = OnnxModel.ResolveExternal(directory, reference.Location);
            if (!files.TryGetValue(dataPath, out var entry))
            {
                realBase ??= RealDirectory(fullPath, directory);
                handles.Add(dataPath, OpenExternal(fullPath, tensor, reference.Location, dataPath, realBase, options.AllowHardLinks, out long fileLength));
                entry = (reference.Location.Replace('\\', '/'), fileLength, 0, 0);
                order.Add(dataPath);
            }

            if (reference.Length is long stated && needed is long shaped && stated != shaped)
            {
                throw new OnnxModelException(OnnxErrorCodes.ExternalDataUnreadable, fullPath,
                    $"Tensor '{tensor.Name}' has an external-data length of {stated:N0} bytes, but its shape needs {shaped:N0}: the reference is corrupt. Re-save the model's external data.");
            }
            long length = reference.Length ?? needed
                ?? throw new OnnxModelException(OnnxErrorCodes.ExternalDataUnreadable, fullPath,
                    $"Tensor '{tensor.Name}' has external data without a length, and its element type gives no size. Re-save the model's external data with lengths.");
            if (reference.Offset > entry.FileLength || length > entry.FileLength - reference.Offset)
            {
                decimal end = (decimal)reference.Offset + length;
                throw new OnnxModelException(OnnxErrorCodes.ExternalDataUnreadable, dataPath,
                    $"The external-data file '{reference.Location}' is {entry.FileLength:N0} bytes, but tensor '{tensor.Name}' (model '{fullPath}') needs bytes up to {end:N0}; the file is truncated or belongs to another model.");
            }

            files[dataPath] = (entry.Relative, entry.FileLength, entry.Bytes + length, entry.Count + 1);
        }

        return order.Select(p => new ExternalDataFile(files[p].Relative, p, files[p].FileLength, files[p].Bytes, files[p].Count)).ToList();
    }

    /// <summary>The byte count the tensor's shape and element type need (null for strings and unknown types); SLM2003 for an impossible shape.</summary>
    private static long? CheckShape(string fullPath, TensorData data)
    {
        bool sized = data.DataType != (int)TensorProto.Types.DataType.String && OnnxElementTypes.GetBitsPerElement(data.DataType) > 0;
        if (data.ElementCount is null || (sized && data.ExpectedByteLength is null))
        {
            throw new OnnxModelException(OnnxErrorCodes.TruncatedOrCorrupt, fullPath,
                $"Tensor '{data.Name}' has the shape [{string.Join(", ", data.Dims)}], which is negative or has more elements than any file can hold: the model is corrupt. Export it again.");
        }
        return sized ? data.ExpectedByteLength : null;
    }

    private static string RealDirectory(string fullPath, string directory)
    {
        try
        {
            return PathSafety.GetRealPath(directory);
        }
        catch (IOException ex)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileAccessFailed, fullPath, $"The model's folder cannot be resolved: {ex.Message}", ex);
        }
    }

    private static OnnxModelException Refused(string fullPath, TensorProto tensor, string location, string problem) =>
        new(OnnxErrorCodes.UnsafeExternalDataPath, fullPath,
            $"Tensor '{tensor.Name}' has external data at '{location}', which is refused: {problem}. External-data files must be regular files inside the model's folder.");

    /// <summary>
    /// Opens an external-data file, and checks the opened handle, not just the path: it is a regular file (a FIFO or
    /// device would block or never end), not a symbolic link, has one hard link (unless allowed), and the file the
    /// handle really points to is inside the model's folder, so a folder swapped for a link after the path check
    /// cannot redirect the read.
    /// </summary>
    private static SafeFileHandle OpenExternal(string fullPath, TensorProto tensor, string location, string dataPath, string realBase, bool allowHardLinks, out long fileLength)
    {
        string realTarget;
        try
        {
            realTarget = PathSafety.GetRealPath(dataPath);
        }
        catch (IOException)
        {
            throw Refused(fullPath, tensor, location, "the location runs into a loop of symbolic links");
        }
        if (!PathSafety.IsInside(realBase, realTarget))
            throw Refused(fullPath, tensor, location, $"the location resolves through a symbolic link to '{realTarget}', outside the model's folder");

        SafeFileHandle handle;
        FileFacts facts;
        try
        {
            handle = SafeFile.Open(dataPath, followFinalLink: false, out facts);
        }
        catch (SafeOpenException ex) when (ex.Failure == OpenFailure.NotFound)
        {
            throw new OnnxModelException(OnnxErrorCodes.ExternalDataUnreadable, dataPath,
                $"The external-data file '{location}' of tensor '{tensor.Name}' (model '{fullPath}') does not exist; copy it beside the model.", ex);
        }
        catch (SafeOpenException ex) when (ex.Failure == OpenFailure.SymbolicLink)
        {
            throw Refused(fullPath, tensor, location, "the file is a symbolic link");
        }
        catch (SafeOpenException ex)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileAccessFailed, dataPath,
                $"The external-data file '{location}' of tensor '{tensor.Name}' (model '{fullPath}') cannot be read: {ex.Message}", ex);
        }

        try
        {
            if (facts.Kind != FileKind.Regular)
                throw Refused(fullPath, tensor, location, $"it is {Describe(facts.Kind)}, not a regular file");
            if (facts.Links > 1 && !allowHardLinks)
            {
                throw Refused(fullPath, tensor, location,
                    $"the file has {facts.Links} hard links, so its bytes may be those of a file outside the folder. Copy it instead of linking it, or, where a build cache links files, allow hard links (SlmOpsAllowHardLinks=true in the project, --allow-hard-links on the command line)");
            }
            if (SafeFile.RealPathOf(handle) is { } real && !PathSafety.IsInside(realBase, real))
                throw Refused(fullPath, tensor, location, $"the opened file is '{real}', outside the model's folder (a folder on the way was replaced while it was opened)");
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        fileLength = facts.Length;
        return handle;
    }
}
