using Google.Protobuf;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>A loaded and checked ONNX model file. Create with <see cref="OnnxModelLoader.Load"/>.</summary>
public sealed class OnnxModel
{
    private readonly IReadOnlyDictionary<TensorProto, PayloadRange> _deferred;

    internal OnnxModel(string path, ModelProto proto, long fileLength, string? sha256, IReadOnlyList<ExternalDataFile> externalDataFiles,
        IReadOnlyDictionary<TensorProto, PayloadRange> deferred)
    {
        _deferred = deferred;
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
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                model.WriteTo(stream);
            }
            FileCommit.MoveIntoPlace(temp, full);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
