using Google.Protobuf;
using Microsoft.Win32.SafeHandles;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>
/// A loaded and checked ONNX model file. Create with <see cref="OnnxModelLoader.Load"/>. It keeps the model file and its
/// external-data files open, so payloads are read from the files that were checked even if the paths change;
/// dispose it when done.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly IReadOnlyDictionary<TensorProto, PayloadRange> _deferred;
    private readonly IReadOnlyDictionary<string, SafeFileHandle> _files;

    internal OnnxModel(string path, ModelProto proto, long fileLength, string? sha256, IReadOnlyList<ExternalDataFile> externalDataFiles,
        IReadOnlyDictionary<TensorProto, PayloadRange> deferred, IReadOnlyDictionary<string, SafeFileHandle> files)
    {
        _deferred = deferred;
        _files = files;
        FilePath = path;
        Proto = proto;
        FileLength = fileLength;
        Sha256 = sha256;
        ExternalDataFiles = externalDataFiles;
    }

    /// <summary>The absolute path of the <c>.onnx</c> file.</summary>
    public string FilePath { get; }

    /// <summary>The folder external-data locations are relative to.</summary>
    public string DirectoryPath => Path.GetDirectoryName(FilePath)!;

    /// <summary>
    /// The protobuf object model. Mutating it does not change the file; use <see cref="OnnxModelWriter"/>. When the model
    /// was loaded with <see cref="OnnxLoadOptions.DeferPayloadsOfAtLeast"/>, large initializers have no payload here
    /// (<see cref="HasDeferredPayloads"/>): save such a model with <see cref="StreamingModelWriter"/>, never as is.
    /// </summary>
    public ModelProto Proto { get; }

    /// <summary>The size of the <c>.onnx</c> file in bytes.</summary>
    public long FileLength { get; }

    /// <summary>SHA-256 of the <c>.onnx</c> file as lower-case hex, or null when the load options did not ask for it.</summary>
    public string? Sha256 { get; }

    /// <summary>The external-data files the model reads, in order of first use; each checked to exist and be long enough.</summary>
    public IReadOnlyList<ExternalDataFile> ExternalDataFiles { get; }

    /// <summary>True when some initializer payloads were left in the file at load time.</summary>
    public bool HasDeferredPayloads => _deferred.Count > 0;

    /// <summary>Where <paramref name="tensor"/> (a tensor of this model) keeps its payload.</summary>
    public TensorData GetTensorData(TensorProto tensor) =>
        _deferred.TryGetValue(tensor, out var range) ? TensorData.Deferred(tensor, FilePath, range) : TensorData.Of(tensor);

    /// <summary>Opens a reader that maps tensor payloads of this model one at a time (dispose it when done).</summary>
    public PayloadReader OpenPayloads() => new(this);

    /// <summary>Summarizes the model: I/O, opsets, operators, initializers, external data.</summary>
    public ModelInspection Inspect() => ModelInspector.Inspect(this);

    /// <summary>Opens <paramref name="tensor"/>'s payload as a read-only stream (<c>raw_data</c>, or its range of the file that holds it).</summary>
    public Stream OpenPayloadStream(TensorProto tensor)
    {
        var data = GetTensorData(tensor);
        return data.Storage switch
        {
            TensorStorage.None => Stream.Null,
            TensorStorage.Raw => new MemoryStream(tensor.RawData.ToByteArray(), writable: false),
            TensorStorage.External => new FileRangeStream(HandleOf(data), data.External!.Offset, data.ByteLength!.Value),
            TensorStorage.Deferred => new FileRangeStream(HandleOf(data), data.Range.Offset, data.Range.Length),
            _ => throw new NotSupportedException($"Tensor '{tensor.Name}' stores its payload in typed fields; read them from the TensorProto."),
        };
    }

    /// <summary>Opens one of <see cref="ExternalDataFiles"/>, whole, through the handle the loader checked.</summary>
    public Stream OpenExternalDataFile(ExternalDataFile file) => new FileRangeStream(_files[file.FullPath], 0, file.FileLength);

    /// <summary>The open file that holds a payload in a file (<see cref="TensorStorage.External"/> or <see cref="TensorStorage.Deferred"/>).</summary>
    internal SafeFileHandle HandleOf(TensorData data) => data.Storage switch
    {
        TensorStorage.External => _files[ExternalPath(data.External!.Location)],
        TensorStorage.Deferred => _files[FilePath],
        _ => throw new InvalidOperationException($"Tensor '{data.Name}' keeps its payload in memory, not in a file."),
    };

    /// <summary>The absolute path of an external-data location, as the loader resolved it.</summary>
    internal string ExternalPath(string location) => ResolveExternal(DirectoryPath, location);

    /// <summary>Where <paramref name="location"/> leads from <paramref name="directory"/>; the loader's handles are keyed by it.</summary>
    internal static string ResolveExternal(string directory, string location) => Path.GetFullPath(Path.Combine(directory, location));

    /// <summary>Closes the model file and its external-data files.</summary>
    public void Dispose()
    {
        foreach (var handle in _files.Values) handle.Dispose();
    }
}

/// <summary>One external-data file a model references.</summary>
/// <param name="RelativePath">The location as written in the model, with '/' separators.</param>
/// <param name="FullPath">The absolute path (inside the model's folder).</param>
/// <param name="FileLength">The file's size in bytes.</param>
/// <param name="BytesReferenced">The sum of the tensor payload lengths that point into this file.</param>
/// <param name="TensorCount">How many tensors point into this file.</param>
public sealed record ExternalDataFile(string RelativePath, string FullPath, long FileLength, long BytesReferenced, int TensorCount);

/// <summary>Writes models: temp file in the same folder, then rename, so readers never see half a file.</summary>
public static class OnnxModelWriter
{
    public static void Save(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        FileCommit.Write(Path.GetFullPath(path), temp =>
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            model.WriteTo(stream);
        });
    }
}
