using SlmOps.Onnx.Protobuf;

namespace SlmOps.Quantization;

/// <summary>A MatMul or Gemm of the main graph whose B is a constant float matrix that a weight pass can rewrite.</summary>
/// <param name="Node">The node.</param>
/// <param name="Weight">The B initializer (output model).</param>
/// <param name="K">Rows of B as used (the reduction dimension).</param>
/// <param name="N">Columns of B as used.</param>
/// <param name="Transposed">True for Gemm with transB=1: the stored tensor is [N, K].</param>
/// <param name="Bias">Gemm's C when it is a float initializer of shape [N] with beta 1 (null for MatMul).</param>
internal sealed record WeightCandidate(NodeProto Node, TensorProto Weight, long K, long N, bool Transposed, TensorProto? Bias);
