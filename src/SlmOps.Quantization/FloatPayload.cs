using System.Runtime.InteropServices;
using SlmOps.Onnx;

namespace SlmOps.Quantization;

/// <summary>A mapped float32 payload.</summary>
internal sealed class FloatPayload(PayloadView view) : IDisposable
{
    public ReadOnlySpan<float> Values => MemoryMarshal.Cast<byte, float>(view.Bytes);

    public void Dispose() => view.Dispose();
}
