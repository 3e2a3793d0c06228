using System.Buffers;
using Microsoft.ML.OnnxRuntime;

namespace SlmOps.Runtime;

/// <summary>
/// One loaded ONNX model. Generated wrappers hold one and call <see cref="Run"/> with the specs from the model
/// contract; the session checks inputs against those specs before ONNX Runtime sees them, hands input memory to ONNX
/// Runtime without copying it, and copies each output once into a new <see cref="SlmTensor{T}"/>.
/// </summary>
/// <remarks>
/// <see cref="Run"/> may be called from several threads at once. Dispose the session when done with it, and not while
/// a run is in progress: it holds native memory.
/// </remarks>
public sealed class SlmSession : IDisposable
{
    /// <summary>The file name of the model inside a model directory.</summary>
    public const string ModelFileName = "model.onnx";

    private readonly InferenceSession _session;
    private readonly Lazy<SlmModelManifest?> _manifest;

    private SlmSession(InferenceSession session, string modelPath)
    {
        _session = session;
        ModelPath = modelPath;
        _manifest = new Lazy<SlmModelManifest?>(() => SlmModelManifest.TryRead(Path.GetDirectoryName(modelPath)!));
    }

    /// <summary>The path of the model file the session was opened from.</summary>
    public string ModelPath { get; }

    /// <summary>The ONNX Runtime session, for the benchmark's hand-written baseline on the very same session.</summary>
    internal InferenceSession OrtSession => _session;

    /// <summary>
    /// The manifest the SDK placed beside the model (<c>manifest.json</c>): name, version, target, precision,
    /// validation, rollout channel and package; null when the folder has none. Read on first use.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder's <c>manifest.json</c> is not a manifest the SDK writes.</exception>
    public SlmModelManifest? Manifest => _manifest.Value;

    /// <summary>The graph's input names, in graph order.</summary>
    public IReadOnlyList<string> InputNames => _session.InputNames;

    /// <summary>The graph's output names, in graph order.</summary>
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Opens the ONNX model at <paramref name="modelPath"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="modelPath"/>.</exception>
    /// <exception cref="InvalidDataException">ONNX Runtime could not load the file.</exception>
    public static SlmSession Open(string modelPath, SlmSessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        string fullPath = Path.GetFullPath(modelPath);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"The ONNX model '{fullPath}' does not exist.", fullPath);
        return OpenExisting(fullPath, options);
    }

    /// <summary>
    /// Opens <c>model.onnx</c> in <paramref name="modelDirectory"/>, where the SlmOps SDK places the model named
    /// <paramref name="modelName"/> (<c>$(SlmOpsModelsFolder)/&lt;Name&gt;/</c> in the build output, <c>models/&lt;Name&gt;/</c>
    /// by default). Generated <c>Load</c> methods call this.
    /// </summary>
    /// <exception cref="FileNotFoundException">The directory holds no <c>model.onnx</c>; the message says where the SDK puts it.</exception>
    /// <exception cref="InvalidDataException">ONNX Runtime could not load the file.</exception>
    public static SlmSession OpenModelDirectory(string modelDirectory, string modelName, SlmSessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        string path = Path.GetFullPath(Path.Combine(modelDirectory, ModelFileName));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The model '{modelName}' was not found at '{path}'. The SlmOps SDK copies each SlmModel to "
                + $"$(SlmOpsModelsFolder)/{modelName}/{ModelFileName} in the build output (models/ unless the project sets "
                + "SlmOpsModelsFolder) when the project builds; build the project that "
                + $"declares the model, or pass the folder that holds {ModelFileName} to {modelName}.Load(modelDirectory).",
                path);
        }

        return OpenExisting(path, options);
    }

    private static SlmSession OpenExisting(string path, SlmSessionOptions? options)
    {
        using SessionOptions ortOptions = (options ?? new SlmSessionOptions()).ToOrt();
        try
        {
            return new SlmSession(new InferenceSession(path, ortOptions), path);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"ONNX Runtime could not load the model '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Runs the model. Each input is checked against its spec first: element type, rank, every fixed dimension, and
    /// every symbolic dimension against the other inputs that share its name.
    /// </summary>
    /// <param name="inputSpecs">The inputs the model declares, in the order of <paramref name="inputs"/>.</param>
    /// <param name="inputs">The input tensors; ONNX Runtime reads them in place.</param>
    /// <param name="outputSpecs">The outputs to compute; the result has one tensor per spec, in this order.</param>
    /// <returns>
    /// One new tensor per output spec; its runtime type is <see cref="SlmTensor{T}"/> of the spec's element type.
    /// </returns>
    /// <exception cref="ArgumentException">An input is missing or does not fit its spec; the message names it.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed, or an output does not match its spec.</exception>
    public SlmTensor[] Run(ReadOnlySpan<SlmTensorSpec> inputSpecs, ReadOnlySpan<SlmTensor> inputs, ReadOnlySpan<SlmTensorSpec> outputSpecs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValidateInputs(inputSpecs, inputs);

        var inputNames = new string[inputs.Length];
        var inputValues = new OrtValue[inputs.Length];
        var pins = new MemoryHandle[inputs.Length];
        var outputNames = new string[outputSpecs.Length];
        for (int i = 0; i < outputSpecs.Length; i++) outputNames[i] = outputSpecs[i].Name;

        int created = 0;
        try
        {
            for (; created < inputs.Length; created++)
            {
                inputNames[created] = inputSpecs[created].Name;
                inputValues[created] = inputs[created].CreateOrtValue(out pins[created]);
            }

            using var runOptions = new RunOptions();
            IDisposableReadOnlyCollection<OrtValue> results;
            try
            {
                results = _session.Run(runOptions, inputNames, inputValues, outputNames);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new InvalidOperationException($"Running the model '{ModelPath}' failed: {ex.Message}", ex);
            }

            using (results)
            {
                var tensors = new SlmTensor[outputSpecs.Length];
                int index = 0;
                foreach (OrtValue value in results)
                {
                    tensors[index] = CopyOutput(outputSpecs[index], value);
                    index++;
                }

                return tensors;
            }
        }
        finally
        {
            for (int i = 0; i < created; i++)
            {
                inputValues[i].Dispose();
                pins[i].Dispose();
            }
        }
    }

    /// <summary>
    /// Binds input and output tensors for the zero-copy path (<see cref="SlmBinding"/>): the inputs are checked against
    /// their specs as <see cref="Run"/> checks them, and each output must have its spec's element type and rank, every
    /// fixed dimension, and the size a symbolic dimension has in the inputs. ONNX Runtime then writes the outputs into
    /// the given tensors' memory on every <see cref="SlmBinding.Run"/>.
    /// </summary>
    /// <param name="inputSpecs">The inputs the model declares, in the order of <paramref name="inputs"/>.</param>
    /// <param name="inputs">The input tensors, whose memory the caller rewrites between runs.</param>
    /// <param name="outputSpecs">The outputs to compute, in the order of <paramref name="outputs"/>.</param>
    /// <param name="outputs">Tensors of the outputs' shapes for ONNX Runtime to write into.</param>
    /// <exception cref="ArgumentException">An input or output does not fit its spec; the message names it.</exception>
    public SlmBinding Bind(ReadOnlySpan<SlmTensorSpec> inputSpecs, ReadOnlySpan<SlmTensor> inputs, ReadOnlySpan<SlmTensorSpec> outputSpecs, ReadOnlySpan<SlmTensor> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var symbols = ValidateInputs(inputSpecs, inputs);
        if (outputSpecs.Length != outputs.Length)
            throw new ArgumentException($"{outputSpecs.Length} outputs are asked for, but {outputs.Length} tensors were given.", nameof(outputs));
        for (int i = 0; i < outputs.Length; i++)
        {
            SlmTensorSpec spec = outputSpecs[i];
            SlmTensor? tensor = outputs[i];
            if (tensor is null) throw new ArgumentException($"Output '{spec.Name}' has no tensor; give one of shape {spec.ShapeText}.", nameof(outputs));
            bool fits = tensor.ElementType == spec.ElementType && tensor.Rank == spec.Shape.Length;
            for (int d = 0; fits && d < tensor.Rank; d++)
            {
                SlmDimension dim = spec.Shape[d];
                long expected = dim.Size ?? (dim.Name is string symbol && symbols.TryGetValue(symbol, out var seen) ? seen.Size : tensor.Shape[d]);
                fits = tensor.Shape[d] == expected;
            }

            if (!fits)
            {
                throw new ArgumentException(
                    $"Output '{spec.Name}' is bound to a {SlmElementTypes.OnnxName(tensor.ElementType)} tensor of shape {tensor.ShapeText}, but the model writes {spec} (with the inputs' sizes for its symbolic dimensions).",
                    nameof(outputs));
            }
        }

        return new SlmBinding(this, _session, inputSpecs, inputs, outputSpecs, outputs);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Checks inputs against their specs; throws <see cref="ArgumentException"/> naming the first misfit.</summary>
    /// <returns>The size each symbolic dimension has in the inputs, and the first input that has it.</returns>
    internal static Dictionary<string, (long Size, string Input)> ValidateInputs(ReadOnlySpan<SlmTensorSpec> specs, ReadOnlySpan<SlmTensor> inputs)
    {
        if (specs.Length != inputs.Length)
            throw new ArgumentException($"The model takes {specs.Length} inputs, but {inputs.Length} were given.", nameof(inputs));

        var symbols = new Dictionary<string, (long Size, string Input)>(StringComparer.Ordinal);
        for (int i = 0; i < specs.Length; i++)
        {
            SlmTensorSpec spec = specs[i];
            SlmTensor? tensor = inputs[i];
            if (tensor is null)
                throw new ArgumentException($"Input '{spec.Name}' is missing; the model expects {spec}.", nameof(inputs));

            if (tensor.ElementType != spec.ElementType)
            {
                throw new ArgumentException(
                    $"Input '{spec.Name}' has element type {SlmElementTypes.OnnxName(tensor.ElementType)}, but the model expects {SlmElementTypes.OnnxName(spec.ElementType)}.",
                    nameof(inputs));
            }

            ReadOnlySpan<long> actual = tensor.Shape;
            ReadOnlySpan<SlmDimension> expected = spec.Shape;
            if (actual.Length != expected.Length)
            {
                throw new ArgumentException(
                    $"Input '{spec.Name}' has shape {tensor.ShapeText} (rank {actual.Length}), but the model expects shape {spec.ShapeText} (rank {expected.Length}).",
                    nameof(inputs));
            }

            long count = 1;
            for (int d = 0; d < actual.Length; d++)
            {
                count = checked(count * actual[d]);
                SlmDimension dim = expected[d];
                if (dim.Size is long size && actual[d] != size)
                {
                    throw new ArgumentException(
                        $"Input '{spec.Name}' has shape {tensor.ShapeText}, but the model expects shape {spec.ShapeText}: dimension {d} must be {size}.",
                        nameof(inputs));
                }

                if (dim.Name is string symbol)
                {
                    if (symbols.TryGetValue(symbol, out var seen) && seen.Size != actual[d])
                    {
                        throw new ArgumentException(
                            $"Input '{spec.Name}' has shape {tensor.ShapeText}, but the model expects shape {spec.ShapeText}: dimension '{symbol}' is {seen.Size} in input '{seen.Input}' and {actual[d]} here.",
                            nameof(inputs));
                    }

                    symbols[symbol] = (actual[d], spec.Name);
                }
            }

            if (count != tensor.ElementCount)
            {
                throw new ArgumentException(
                    $"Input '{spec.Name}' has {tensor.ElementCount} elements, but its shape {tensor.ShapeText} holds {count}.",
                    nameof(inputs));
            }
        }

        return symbols;
    }

    private SlmTensor CopyOutput(SlmTensorSpec spec, OrtValue value)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
            throw new InvalidOperationException($"Output '{spec.Name}' of '{ModelPath}' is a {value.OnnxType}, not a tensor.");

        OrtTensorTypeAndShapeInfo info = value.GetTensorTypeAndShape();
        SlmElementType? actualType = SlmElementTypes.FromOrt(info.ElementDataType);
        if (actualType != spec.ElementType)
        {
            throw new InvalidOperationException(
                $"Output '{spec.Name}' of '{ModelPath}' has element type {info.ElementDataType}, but the contract says {SlmElementTypes.OnnxName(spec.ElementType)}; rebuild so that the generated code matches the model.");
        }

        long[] shape = info.Shape;
        ReadOnlySpan<byte> bytes = value.GetTensorMutableRawData();
        return spec.ElementType switch
        {
            SlmElementType.Float => SlmTensor<float>.CopyFrom(bytes, shape),
            SlmElementType.Double => SlmTensor<double>.CopyFrom(bytes, shape),
            SlmElementType.Float16 => SlmTensor<Half>.CopyFrom(bytes, shape),
            SlmElementType.Int8 => SlmTensor<sbyte>.CopyFrom(bytes, shape),
            SlmElementType.Int16 => SlmTensor<short>.CopyFrom(bytes, shape),
            SlmElementType.Int32 => SlmTensor<int>.CopyFrom(bytes, shape),
            SlmElementType.Int64 => SlmTensor<long>.CopyFrom(bytes, shape),
            SlmElementType.UInt8 => SlmTensor<byte>.CopyFrom(bytes, shape),
            SlmElementType.UInt16 => SlmTensor<ushort>.CopyFrom(bytes, shape),
            SlmElementType.UInt32 => SlmTensor<uint>.CopyFrom(bytes, shape),
            SlmElementType.UInt64 => SlmTensor<ulong>.CopyFrom(bytes, shape),
            SlmElementType.Bool => SlmTensor<bool>.CopyFrom(bytes, shape),
            _ => throw new InvalidOperationException($"Output '{spec.Name}' has an unsupported element type."),
        };
    }

    private bool _disposed;

    /// <summary>Releases the native session.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _session.Dispose();
    }
}
