namespace SlmOps.Quantization;

/// <summary>What happened to one weight tensor.</summary>
/// <param name="Name">The source initializer.</param>
/// <param name="Node">The node that uses it.</param>
/// <param name="Format">For example <c>MatMulNBits int4 block 32 symmetric</c>.</param>
/// <param name="Shape">The source shape.</param>
/// <param name="BytesBefore">Source payload bytes.</param>
/// <param name="BytesAfter">Output payload bytes (quantized values plus scales and zero points).</param>
/// <param name="Sparsity">Fraction of zeros after pruning; null without pruning.</param>
public sealed record QuantizedTensor(string Name, string Node, string Format, IReadOnlyList<long> Shape, long BytesBefore, long BytesAfter, double? Sparsity);
