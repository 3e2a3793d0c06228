using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SlmOps.Validation;

/// <summary>One input tensor of a sample: its graph input, element type, shape and values (a managed array of the type).</summary>
public sealed record TensorSample(string Name, TensorElementType ElementType, long[] Shape, Array Values)
{
    /// <summary>An ORT value over <see cref="Values"/> (pinned, not copied); dispose it after the run.</summary>
    /// <remarks>
    /// By <see cref="ElementType"/>, not by the array's type: the runtime lets a <c>byte[]</c> pass as an
    /// <c>sbyte[]</c> (and <c>ulong[]</c> as <c>long[]</c>, …), so a type switch would pick the wrong signedness.
    /// </remarks>
    public OrtValue ToOrtValue() => ElementType switch
    {
        TensorElementType.Float => OrtValue.CreateTensorValueFromMemory((float[])Values, Shape),
        TensorElementType.Double => OrtValue.CreateTensorValueFromMemory((double[])Values, Shape),
        TensorElementType.Float16 => OrtValue.CreateTensorValueFromMemory((Float16[])Values, Shape),
        TensorElementType.BFloat16 => OrtValue.CreateTensorValueFromMemory((BFloat16[])Values, Shape),
        TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory((long[])Values, Shape),
        TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory((int[])Values, Shape),
        TensorElementType.Int16 => OrtValue.CreateTensorValueFromMemory((short[])Values, Shape),
        TensorElementType.Int8 => OrtValue.CreateTensorValueFromMemory((sbyte[])Values, Shape),
        TensorElementType.UInt8 => OrtValue.CreateTensorValueFromMemory((byte[])Values, Shape),
        TensorElementType.UInt16 => OrtValue.CreateTensorValueFromMemory((ushort[])Values, Shape),
        TensorElementType.UInt32 => OrtValue.CreateTensorValueFromMemory((uint[])Values, Shape),
        TensorElementType.UInt64 => OrtValue.CreateTensorValueFromMemory((ulong[])Values, Shape),
        TensorElementType.Bool => OrtValue.CreateTensorValueFromMemory((bool[])Values, Shape),
        _ => throw new InvalidOperationException($"No ONNX Runtime tensor for element type {ElementType}."),
    };
}
