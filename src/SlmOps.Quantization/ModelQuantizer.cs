using System.Diagnostics;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using SlmOps.Quantization.Passes;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization;

/// <summary>
/// The quantization engine: reads a model with its weights left in the file, rewrites the graph for the chosen
/// precision, and streams the new weights to the output tensor by tensor. The same input and options always give
/// the same output bytes.
/// </summary>
public static class ModelQuantizer
{
    /// <summary>Payloads at least this big stay in the input file and are mapped one tensor at a time.</summary>
    private const long DeferThreshold = 4096;

    private static readonly HashSet<string> s_quantizedOps = new(StringComparer.Ordinal)
    {
        "MatMulNBits", "MatMulInteger", "QLinearMatMul", "QLinearConv", "ConvInteger", "DynamicQuantizeLinear",
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QAttention",
        "QGemm", "GatherBlockQuantized", "MatMulBnb4", "MatMulFpQ4", "DequantizeBFP", "QOrderedMatMul",
    };

    /// <summary>
    /// Quantizes <paramref name="inputPath"/> into <paramref name="outputPath"/>. Throws <see cref="QuantizationException"/>
    /// (SLM3xxx) or <see cref="OnnxModelException"/> (SLM2xxx); on failure no output file is left.
    /// </summary>
    public static QuantizationResult Quantize(string inputPath, string outputPath, QuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        // Compile the kernels on a spare core while the model loads: a run has only a few dozen tensors, so without
        // this the first ones would wait for the JIT (measured ~40 ms of a 0.3 s MiniLM run).
        _ = Task.Run(() => WarmUp(options));
        using var source = OnnxModelLoader.Load(inputPath, new OnnxLoadOptions { ComputeSha256 = false, DeferPayloadsOfAtLeast = DeferThreshold, AllowHardLinks = options.AllowHardLinks });
        return Quantize(source, outputPath, options, clock);
    }

    /// <summary>
    /// Quantizes a model the caller has already loaded (best with <see cref="OnnxLoadOptions.DeferPayloadsOfAtLeast"/>,
    /// so its weights are not in memory); <paramref name="source"/> itself is not changed.
    /// </summary>
    public static QuantizationResult Quantize(OnnxModel source, string outputPath, QuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ = Task.Run(() => WarmUp(options));
        return Quantize(source, outputPath, options, Stopwatch.StartNew());
    }

    private static QuantizationResult Quantize(OnnxModel source, string outputPath, QuantizationOptions options, Stopwatch clock)
    {
        string output = Path.GetFullPath(outputPath);
        CheckOutputPath(source, output);
        CheckNotQuantized(source, options);

        using var context = new QuantizationContext(source, options);
        // A pass hands what a later step needs back here rather than leaving it on the context for whoever runs
        // next: the pruning pass returns the weights it rewrote (the fp16 pass converts them from their pruned
        // values), the fp16 pass whether it converted anything (the output is then smaller with no weight reported).
        bool fp16Converted = false;
        switch (options.Precision)
        {
            case Precision.Int4:
                BlockwisePass.Apply(context, 4);
                break;
            case Precision.Int8Weight:
                BlockwisePass.Apply(context, 8);
                break;
            case Precision.Int8:
                DynamicInt8Pass.Apply(context);
                break;
            case Precision.Qdq:
                StaticQdqPass.Apply(context);
                break;
            case Precision.Fp16:
                fp16Converted = Fp16Pass.Apply(context, PruningPass.Apply(context));
                break;
            default:
                PruningPass.Apply(context);
                break;
        }

        if (context.Tensors.Count == 0 && (options.Precision != Precision.Fp32 || options.Pruning is not null) && !fp16Converted)
        {
            context.Warning(QuantizationErrorCodes.NothingQuantized,
                $"No weight of '{source.FilePath}' matched the {options.Precision} settings, so the output is not smaller. Check the include/exclude patterns and the minimum size; the info messages say why each node was left as is.");
        }

        context.CopyRemainingPayloads();
        ModelWriteResult written;
        try
        {
            written = StreamingModelWriter.Write(context.Output, context.Groups, output, options.Write);
        }
        catch (ModelTooLargeException ex)
        {
            throw new QuantizationException(QuantizationErrorCodes.OutputWriteFailed, output,
                ex.Message + " Leave external data on auto (--external-data auto) or set it to always.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new QuantizationException(QuantizationErrorCodes.OutputWriteFailed, output,
                $"The quantized model cannot be written: {ex.Message} Check that the folder is writable and has free space; nothing was left behind.", ex);
        }

        return new QuantizationResult
        {
            OutputPath = written.ModelPath,
            DataPath = written.DataPath,
            Precision = options.Precision,
            Tensors = context.Tensors.Select(t => t.ToRecord()).ToList(),
            InitializerBytesBefore = source.Proto.Graph.Initializer.Sum(t => source.GetTensorData(t).ByteLength ?? 0),
            InitializerBytesAfter = InitializerBytes(context.Output, context.Groups),
            OutputBytes = written.ModelBytes + written.DataBytes,
            Elapsed = clock.Elapsed,
            Messages = context.Messages,
        };
    }

    private static void WarmUp(QuantizationOptions options)
    {
        const int K = 64, N = 16;
        var weights = new float[K * N];
        for (int i = 0; i < weights.Length; i++) weights[i] = i % 7 - 3;
        switch (options.Precision)
        {
            case Precision.Int4 or Precision.Int8Weight:
                var format = new BlockwiseFormat(options.Precision == Precision.Int4 ? 4 : 8, options.BlockSize, options.Symmetric);
                var packed = new byte[format.PackedByteCount(K, N)];
                var scales = new float[N * format.BlockCount(K)];
                var zeroPoints = new byte[format.ZeroPointByteCount(K, N)];
                BlockwiseQuantizer.Quantize(weights, K, N, format, packed, scales, zeroPoints, new BlockwiseOptions { ScaleSearch = options.ScaleSearch, MaxDegreeOfParallelism = 1 });
                break;
            case Precision.Int8 or Precision.Qdq:
                ChannelQuantizer.Quantize(weights, K, N, 1, options.ResolvedInt8Weights, new byte[K * N], new float[N], new byte[N]);
                break;
            case Precision.Fp16:
                HalfConverter.Convert(weights, new Half[weights.Length]);
                break;
        }
    }

    private static void CheckOutputPath(OnnxModel source, string output)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string data = output + ".data";
        foreach (string input in source.ExternalDataFiles.Select(f => f.FullPath).Prepend(source.FilePath))
        {
            if (string.Equals(input, output, comparison) || string.Equals(input, data, comparison))
            {
                throw new QuantizationException(QuantizationErrorCodes.OutputOverwritesInput, output,
                    $"The output would overwrite '{input}', which the input model reads; choose another output path.");
            }
        }
    }

    private static void CheckNotQuantized(OnnxModel source, QuantizationOptions options)
    {
        if (options.Precision == Precision.Fp32 && options.Pruning is null) return;
        var quantized = ModelWalker.EnumerateGraphNodes(source.Proto).Where(n => s_quantizedOps.Contains(n.OpType)).ToList();
        if (quantized.Count > 0)
        {
            var ops = string.Join(", ", quantized.GroupBy(n => n.OpType).Select(g => $"{g.Count()} {g.Key}"));
            throw new QuantizationException(QuantizationErrorCodes.AlreadyQuantized, source.FilePath,
                $"The model is already quantized ({ops}); quantizing it again would compound the error. Quantize the original float model instead.");
        }
        if (options.Precision == Precision.Fp16 && source.Proto.Graph.Initializer.Any(t => t.DataType == (int)DataType.Float16)
            && !source.Proto.Graph.Initializer.Any(t => t.DataType == (int)DataType.Float))
        {
            throw new QuantizationException(QuantizationErrorCodes.AlreadyQuantized, source.FilePath,
                "The model's weights are already float16. Use the original float32 model, or leave Precision at fp32.");
        }
    }

    private static long InitializerBytes(ModelProto model, IReadOnlyList<PayloadGroup> groups)
    {
        var lengths = new Dictionary<TensorProto, long>(ReferenceEqualityComparer.Instance);
        foreach (var group in groups)
            for (int i = 0; i < group.Headers.Count; i++) lengths[group.Headers[i]] = group.Lengths[i];
        return model.Graph.Initializer.Sum(t => lengths.TryGetValue(t, out long n) ? n : TensorData.Of(t).ByteLength ?? 0);
    }
}
