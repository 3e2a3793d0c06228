using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SlmOps.Validation;

/// <summary>One ONNX Runtime session over a model file, for the checks: opened once, run on every sample.</summary>
public sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;

    private ModelRunner(InferenceSession session, string path, TimeSpan loadTime, long loadMemoryBytes)
    {
        _session = session;
        Path = path;
        LoadTime = loadTime;
        LoadMemoryBytes = loadMemoryBytes;
    }

    /// <summary>
    /// How much the process's working set grew while ONNX Runtime created the session: the memory the model takes
    /// once loaded (weights, prepacked kernels, arenas), as the app would see it. A rough measure, not a peak.
    /// </summary>
    public long LoadMemoryBytes { get; }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>How long ONNX Runtime took to create the session (read, optimize, allocate).</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>The graph inputs, in graph order.</summary>
    public IReadOnlyList<KeyValuePair<string, NodeMetadata>> Inputs =>
        _session.InputNames.Select(n => new KeyValuePair<string, NodeMetadata>(n, _session.InputMetadata[n])).ToList();

    /// <summary>The graph outputs, in graph order.</summary>
    public IReadOnlyList<KeyValuePair<string, NodeMetadata>> Outputs =>
        _session.OutputNames.Select(n => new KeyValuePair<string, NodeMetadata>(n, _session.OutputMetadata[n])).ToList();

    /// <summary>Opens <paramref name="path"/> with <paramref name="intraOpThreads"/> threads per op (0: ORT's default).</summary>
    /// <exception cref="ValidationException">SLM4001: ONNX Runtime cannot load it.</exception>
    public static ModelRunner Open(string path, int intraOpThreads = 0)
    {
        EnsureRuntime();
        using var options = new SessionOptions { IntraOpNumThreads = intraOpThreads, InterOpNumThreads = 1 };
        using var process = Process.GetCurrentProcess();
        long before = process.WorkingSet64;
        var clock = Stopwatch.StartNew();
        try
        {
            var session = new InferenceSession(path, options);
            TimeSpan elapsed = clock.Elapsed;
            process.Refresh();
            return new ModelRunner(session, path, elapsed, Math.Max(0, process.WorkingSet64 - before));
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ValidationException(ValidationCodes.LoadFailed, path,
                $"ONNX Runtime {OrtVersion} cannot load the model: {ex.Message.Trim()} The app would fail the same way at run time.", ex);
        }
    }

    /// <summary>The version of the ONNX Runtime library these checks run on, which the app ships too.</summary>
    public static string OrtVersion
    {
        get
        {
            EnsureRuntime();
            return OrtEnv.Instance().GetVersionString();
        }
    }

    /// <summary>Makes sure ONNX Runtime's native library can be loaded (see <see cref="OrtNativeLibrary"/>).</summary>
    /// <exception cref="ValidationException">SLM4000: it is nowhere to be found.</exception>
    public static void EnsureRuntime()
    {
        OrtNativeLibrary.EnsureResolver();
        try
        {
            _ = OrtEnv.Instance();
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            throw new ValidationException(ValidationCodes.RuntimeMissing, null,
                $"ONNX Runtime's native library for {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier} is not beside the program nor in "
                + $"{string.Join(", ", OrtNativeLibrary.FallbackDirectories().Select(d => "'" + d + "'"))}. Restore a project that uses SlmOps.Sdk (it brings "
                + $"Microsoft.ML.OnnxRuntime {OrtNativeLibrary.ManagedVersion}), or set {OrtNativeLibrary.DirectoryVariable} to the folder that holds the library.", ex);
        }
    }

    /// <summary>Runs the model on <paramref name="sample"/> and copies every output out.</summary>
    /// <exception cref="ValidationException">SLM4002: the run fails.</exception>
    public IReadOnlyList<OutputTensor> Run(IReadOnlyList<TensorSample> sample)
    {
        var values = new List<OrtValue>(sample.Count);
        try
        {
            foreach (TensorSample input in sample) values.Add(input.ToOrtValue());
            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(runOptions, sample.Select(s => s.Name).ToArray(), values, _session.OutputNames);
            var outputs = new List<OutputTensor>(results.Count);
            for (int i = 0; i < results.Count; i++) outputs.Add(Copy(_session.OutputNames[i], results[i]));
            return outputs;
        }
        catch (OnnxRuntimeException ex)
        {
            string shapes = string.Join(", ", sample.Select(s => $"{s.Name} [{string.Join(", ", s.Shape)}]"));
            throw new ValidationException(ValidationCodes.RunFailed, Path,
                $"ONNX Runtime loaded the model but could not run it on the sample ({shapes}): {ex.Message.Trim()}", ex);
        }
        finally
        {
            foreach (OrtValue value in values) value.Dispose();
        }
    }

    private static OutputTensor Copy(string name, OrtValue value)
    {
        OrtTensorTypeAndShapeInfo info = value.GetTensorTypeAndShape();
        long[] shape = info.Shape;
        TensorElementType type = info.ElementDataType;
        return type switch
        {
            TensorElementType.Float => new(name, type, shape, value.GetTensorDataAsSpan<float>().ToArray(), null),
            TensorElementType.Double => new(name, type, shape, Floats(value.GetTensorDataAsSpan<double>(), v => (float)v), null),
            TensorElementType.Float16 => new(name, type, shape, Floats(value.GetTensorDataAsSpan<Float16>(), v => v.ToFloat()), null),
            TensorElementType.BFloat16 => new(name, type, shape, Floats(value.GetTensorDataAsSpan<BFloat16>(), v => v.ToFloat()), null),
            TensorElementType.Int64 => new(name, type, shape, null, value.GetTensorDataAsSpan<long>().ToArray()),
            TensorElementType.Int32 => new(name, type, shape, null, Integers(value.GetTensorDataAsSpan<int>(), v => v)),
            TensorElementType.Int16 => new(name, type, shape, null, Integers(value.GetTensorDataAsSpan<short>(), v => v)),
            TensorElementType.Int8 => new(name, type, shape, null, Integers(value.GetTensorDataAsSpan<sbyte>(), v => v)),
            TensorElementType.UInt8 => new(name, type, shape, null, Integers(value.GetTensorDataAsSpan<byte>(), v => v)),
            TensorElementType.UInt16 => new(name, type, shape, null, Integers(value.GetTensorDataAsSpan<ushort>(), v => v)),
            TensorElementType.UInt32 => new(name, type, shape, null, Integers(value.GetTensorDataAsSpan<uint>(), v => v)),
            TensorElementType.UInt64 => new(name, type, shape, null, Integers(value.GetTensorDataAsSpan<ulong>(), v => unchecked((long)v))),
            TensorElementType.Bool => new(name, type, shape, null, Integers(value.GetTensorDataAsSpan<bool>(), v => v ? 1 : 0)),
            _ => new(name, type, shape, null, []),
        };
    }

    private static float[] Floats<T>(ReadOnlySpan<T> values, Func<T, float> convert)
    {
        var result = new float[values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = convert(values[i]);
        return result;
    }

    private static long[] Integers<T>(ReadOnlySpan<T> values, Func<T, long> convert)
    {
        var result = new long[values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = convert(values[i]);
        return result;
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
