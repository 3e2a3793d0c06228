using System.Runtime.InteropServices;
using SlmOps.Onnx;
using SlmOps.Onnx.Protobuf;
using SlmOps.Quantization.Kernels;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Quantization.Passes;

/// <summary>
/// Weight-only block-wise quantization: each constant-weight MatMul (and Gemm that can be rewritten) becomes a
/// <c>com.microsoft.MatMulNBits</c> with 4- or 8-bit weights, a scale per block along K, and zero points when
/// asymmetric. Activations stay float. A weight shared by several nodes is quantized once.
/// </summary>
internal static class BlockwisePass
{
    public static void Apply(QuantizationContext context, int bits)
    {
        var options = context.Options;
        int blockSize = options.BlockSize;
        var wider = new NameSelection(bits == 4 ? options.Int8Layers : [], []);
        int BitsOf(NodeProto node, TensorProto weight) => wider.Matches(node.Name, weight.Name) ? 8 : bits;
        var done = new Dictionary<(string Weight, bool Transposed, int Bits), (TensorProto Packed, TensorProto Scales, TensorProto? ZeroPoints)>();

        var candidates = WeightCandidates.Find(context);
        foreach (var candidate in candidates)
        {
            var node = candidate.Node;
            int nodeBits = BitsOf(node, candidate.Weight);
            var key = (candidate.Weight.Name, candidate.Transposed, nodeBits);
            if (!done.TryGetValue(key, out var names))
            {
                names = AddQuantizedWeight(context, candidate, nodeBits, blockSize);
                done.Add(key, names);
            }

            var replacement = new NodeProto
            {
                Name = node.Name,
                OpType = "MatMulNBits",
                Domain = "com.microsoft",
            };
            replacement.Input.Add([node.Input[0], names.Packed.Name, names.Scales.Name, names.ZeroPoints?.Name ?? ""]);
            if (candidate.Bias is not null) replacement.Input.Add(["", candidate.Bias.Name]);
            replacement.Output.Add(node.Output);
            replacement.Attribute.Add(WeightCandidates.Int("K", candidate.K));
            replacement.Attribute.Add(WeightCandidates.Int("N", candidate.N));
            replacement.Attribute.Add(WeightCandidates.Int("bits", nodeBits));
            replacement.Attribute.Add(WeightCandidates.Int("block_size", blockSize));
            if (options.AccuracyLevel is int level) replacement.Attribute.Add(WeightCandidates.Int("accuracy_level", level));
            while (replacement.Input[^1].Length == 0) replacement.Input.RemoveAt(replacement.Input.Count - 1);
            WeightCandidates.Replace(context.Graph, node, replacement);
        }
        var tables = options.QuantizeEmbeddings ? QuantizeEmbeddings(context, BitsOf, blockSize) : [];
        context.RemoveUnused(candidates.Select(c => c.Weight).Concat(tables));
        context.EnsureOpset("com.microsoft", 1);
    }

    /// <summary>
    /// The embedding lookups the pass can rewrite, in graph order: Gather along axis 0 from a constant 2-D float table
    /// [vocabulary, width] whose width is a multiple of the block size, after layer selection. Each table that looks
    /// like one but is left as is gets an info message saying why.
    /// </summary>
    public static List<(NodeProto Node, TensorProto Table)> EmbeddingCandidates(QuantizationContext context)
    {
        var result = new List<(NodeProto, TensorProto)>();
        int blockSize = context.Options.BlockSize;
        foreach (var node in context.Graph.Node.Where(n => n.Domain is "" or "ai.onnx" && n.OpType == "Gather"))
        {
            string label = $"Gather '{WeightCandidates.NodeName(node)}'";
            var table = node.Input.Count == 2 ? context.FindInitializer(node.Input[0]) : null;
            if (table is null || table.DataType != (int)DataType.Float || table.Dims.Count != 2 || context.IsGraphInput(table.Name)
                || (WeightCandidates.Attribute(node, "axis")?.I ?? 0) != 0)
            {
                continue; // not an embedding lookup
            }
            if (WeightCandidates.SizeProblem(table) is { } problem)
            {
                context.Info($"{label} left as is: its table '{table.Name}' {problem}.");
                continue;
            }
            if (!context.Selection.IsSelected(node.Name, table.Name) || table.Dims[0] * table.Dims[1] < context.Options.MinimumElements)
            {
                context.Info($"{label} left as is: excluded by the include/exclude patterns or the minimum size.");
                continue;
            }
            if (table.Dims[1] % blockSize != 0)
            {
                context.Info($"{label} left as is: its width {table.Dims[1]} is not a multiple of the block size {blockSize}, which GatherBlockQuantized needs.");
                continue;
            }
            result.Add((node, table));
        }
        return result;
    }

    /// <summary>
    /// Gather from a constant float table [vocabulary, width] along axis 0 (an embedding lookup) becomes
    /// <c>com.microsoft.GatherBlockQuantized</c> with uint8-packed data [vocabulary, width × bits / 8], scales
    /// [vocabulary, blocks] and, when asymmetric, zero points [vocabulary, blocks × bits / 8]: exactly the MatMulNBits
    /// layout of the transposed table, so the same kernel quantizes it. Returns the tables it replaced.
    /// </summary>
    private static List<TensorProto> QuantizeEmbeddings(QuantizationContext context, Func<NodeProto, TensorProto, int> bitsOf, int blockSize)
    {
        var replaced = new List<TensorProto>();
        var done = new Dictionary<(string Table, int Bits), (TensorProto Packed, TensorProto Scales, TensorProto? ZeroPoints)>();
        foreach (var (node, table) in EmbeddingCandidates(context))
        {
            int bits = bitsOf(node, table);
            if (!done.TryGetValue((table.Name, bits), out var q))
            {
                var candidate = new WeightCandidate(node, table, table.Dims[1], table.Dims[0], Transposed: true, Bias: null);
                q = AddQuantizedWeight(context, candidate, bits, blockSize, "GatherBlockQuantized");
                long vocabulary = table.Dims[0], blocks = table.Dims[1] / blockSize;
                Reshape(q.Packed, vocabulary, table.Dims[1] * bits / 8);
                Reshape(q.Scales, vocabulary, blocks);
                if (q.ZeroPoints is not null) Reshape(q.ZeroPoints, vocabulary, bits == 4 ? (blocks + 1) / 2 : blocks);
                done.Add((table.Name, bits), q);
                if (!replaced.Contains(table)) replaced.Add(table);
            }

            var replacement = new NodeProto { Name = node.Name, OpType = "GatherBlockQuantized", Domain = "com.microsoft" };
            replacement.Input.Add([q.Packed.Name, node.Input[1], q.Scales.Name]);
            if (q.ZeroPoints is not null) replacement.Input.Add(q.ZeroPoints.Name);
            replacement.Output.Add(node.Output);
            replacement.Attribute.Add(WeightCandidates.Int("gather_axis", 0));
            replacement.Attribute.Add(WeightCandidates.Int("quantize_axis", 1));
            replacement.Attribute.Add(WeightCandidates.Int("block_size", blockSize));
            replacement.Attribute.Add(WeightCandidates.Int("bits", bits));
            WeightCandidates.Replace(context.Graph, node, replacement);
        }
        return replaced;
    }

    private static void Reshape(TensorProto tensor, params long[] dims)
    {
        tensor.Dims.Clear();
        tensor.Dims.Add(dims);
    }

    private static (TensorProto Packed, TensorProto Scales, TensorProto? ZeroPoints) AddQuantizedWeight(
        QuantizationContext context, WeightCandidate candidate, int bits, int blockSize, string op = "MatMulNBits")
    {
        var options = context.Options;
        var weight = candidate.Weight;
        int k = checked((int)candidate.K), n = checked((int)candidate.N);
        var blockwise = new BlockwiseFormat(bits, blockSize, options.Symmetric);
        var kernelOptions = new BlockwiseOptions { ScaleSearch = options.ScaleSearch };
        int blocks = blockwise.BlockCount(k);
        long packedBytes = blockwise.PackedByteCount(k, n);
        long zeroPointBytes = blockwise.ZeroPointByteCount(k, n);

        var packed = context.NewHeader($"{weight.Name}_Q{bits}", DataType.Uint8, n, blocks, blockSize * bits / 8);
        var scales = context.NewHeader($"{weight.Name}_scales", DataType.Float, (long)n * blocks);
        var zeroPoints = options.Symmetric ? null : context.NewHeader($"{weight.Name}_zero_points", DataType.Uint8, zeroPointBytes);
        var headers = zeroPoints is null ? new[] { packed, scales } : [packed, scales, zeroPoints];
        var lengths = zeroPoints is null ? new[] { packedBytes, n * blocks * 4L } : [packedBytes, n * blocks * 4L, zeroPointBytes];

        string format = $"{op} int{bits} block {blockSize} {(options.Symmetric ? "symmetric" : "asymmetric")}";
        var report = context.Report(candidate, format, lengths.Sum());
        context.Add(new PayloadGroup(headers, lengths, () => context.Produce(weight, output =>
        {
            using var values = WeightMatrix.Read(context, weight, k, n, candidate.Transposed);
            var q = output.Add(packedBytes);
            var s = MemoryMarshal.Cast<byte, float>(output.Add(n * blocks * 4L));
            var z = zeroPoints is null ? [] : output.Add(zeroPointBytes);
            BlockwiseQuantizer.Quantize(values.Values, k, n, blockwise, q, s, z, kernelOptions);
            report.Sparsity = values.Sparsity;
        }), workingSetBytes: (long)k * n * 4 + lengths.Sum()));
        return (packed, scales, zeroPoints);
    }
}
