using SlmOps.Onnx;

namespace SlmOps.Quantization;

/// <summary>The report line of one rewritten weight; the sparsity is filled in when its payload is produced.</summary>
internal sealed class TensorReport(WeightCandidate candidate, string format, long bytesAfter)
{
    private readonly long _bytesBefore = TensorData.Of(candidate.Weight).ExpectedByteLength ?? 0;

    public string Format { get; set; } = format;

    public long BytesAfter { get; set; } = bytesAfter;

    public double? Sparsity { get; set; }

    public QuantizedTensor ToRecord() => new(
        candidate.Weight.Name, WeightCandidates.NodeName(candidate.Node), Format, candidate.Weight.Dims.ToArray(), _bytesBefore, BytesAfter, Sparsity);
}
