using Microsoft.ML.OnnxRuntime.Tensors;

namespace SlmOps.Runtime;

/// <summary>The tensor element types that <see cref="SlmTensor{T}"/> supports, named as ONNX names them.</summary>
public enum SlmElementType
{
    /// <summary>ONNX <c>float</c>: <see cref="float"/>.</summary>
    Float,
    /// <summary>ONNX <c>double</c>: <see cref="double"/>.</summary>
    Double,
    /// <summary>ONNX <c>float16</c>: <see cref="System.Half"/> (same IEEE 754 binary16 layout).</summary>
    Float16,
    /// <summary>ONNX <c>int8</c>: <see cref="sbyte"/>.</summary>
    Int8,
    /// <summary>ONNX <c>int16</c>: <see cref="short"/>.</summary>
    Int16,
    /// <summary>ONNX <c>int32</c>: <see cref="int"/>.</summary>
    Int32,
    /// <summary>ONNX <c>int64</c>: <see cref="long"/>.</summary>
    Int64,
    /// <summary>ONNX <c>uint8</c>: <see cref="byte"/>.</summary>
    UInt8,
    /// <summary>ONNX <c>uint16</c>: <see cref="ushort"/>.</summary>
    UInt16,
    /// <summary>ONNX <c>uint32</c>: <see cref="uint"/>.</summary>
    UInt32,
    /// <summary>ONNX <c>uint64</c>: <see cref="ulong"/>.</summary>
    UInt64,
    /// <summary>ONNX <c>bool</c>: <see cref="bool"/> (one byte per element, as ONNX stores it).</summary>
    Bool,
}

/// <summary>Maps CLR element types and ONNX Runtime element types to <see cref="SlmElementType"/>.</summary>
internal static class SlmElementTypes
{
    /// <summary>The element type of <typeparamref name="T"/>, or null when SlmOps does not support it.</summary>
    public static SlmElementType? Of<T>() where T : unmanaged => Cache<T>.Value;

    public static string OnnxName(SlmElementType type) => type switch
    {
        SlmElementType.Float => "float",
        SlmElementType.Double => "double",
        SlmElementType.Float16 => "float16",
        SlmElementType.Int8 => "int8",
        SlmElementType.Int16 => "int16",
        SlmElementType.Int32 => "int32",
        SlmElementType.Int64 => "int64",
        SlmElementType.UInt8 => "uint8",
        SlmElementType.UInt16 => "uint16",
        SlmElementType.UInt32 => "uint32",
        SlmElementType.UInt64 => "uint64",
        SlmElementType.Bool => "bool",
        _ => type.ToString(),
    };

    public static TensorElementType ToOrt(SlmElementType type) => type switch
    {
        SlmElementType.Float => TensorElementType.Float,
        SlmElementType.Double => TensorElementType.Double,
        SlmElementType.Float16 => TensorElementType.Float16,
        SlmElementType.Int8 => TensorElementType.Int8,
        SlmElementType.Int16 => TensorElementType.Int16,
        SlmElementType.Int32 => TensorElementType.Int32,
        SlmElementType.Int64 => TensorElementType.Int64,
        SlmElementType.UInt8 => TensorElementType.UInt8,
        SlmElementType.UInt16 => TensorElementType.UInt16,
        SlmElementType.UInt32 => TensorElementType.UInt32,
        SlmElementType.UInt64 => TensorElementType.UInt64,
        SlmElementType.Bool => TensorElementType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static SlmElementType? FromOrt(TensorElementType type) => type switch
    {
        TensorElementType.Float => SlmElementType.Float,
        TensorElementType.Double => SlmElementType.Double,
        TensorElementType.Float16 => SlmElementType.Float16,
        TensorElementType.Int8 => SlmElementType.Int8,
        TensorElementType.Int16 => SlmElementType.Int16,
        TensorElementType.Int32 => SlmElementType.Int32,
        TensorElementType.Int64 => SlmElementType.Int64,
        TensorElementType.UInt8 => SlmElementType.UInt8,
        TensorElementType.UInt16 => SlmElementType.UInt16,
        TensorElementType.UInt32 => SlmElementType.UInt32,
        TensorElementType.UInt64 => SlmElementType.UInt64,
        TensorElementType.Bool => SlmElementType.Bool,
        _ => null,
    };

    private static class Cache<T> where T : unmanaged
    {
        public static readonly SlmElementType? Value =
            typeof(T) == typeof(float) ? SlmElementType.Float
            : typeof(T) == typeof(double) ? SlmElementType.Double
            : typeof(T) == typeof(Half) ? SlmElementType.Float16
            : typeof(T) == typeof(sbyte) ? SlmElementType.Int8
            : typeof(T) == typeof(short) ? SlmElementType.Int16
            : typeof(T) == typeof(int) ? SlmElementType.Int32
            : typeof(T) == typeof(long) ? SlmElementType.Int64
            : typeof(T) == typeof(byte) ? SlmElementType.UInt8
            : typeof(T) == typeof(ushort) ? SlmElementType.UInt16
            : typeof(T) == typeof(uint) ? SlmElementType.UInt32
            : typeof(T) == typeof(ulong) ? SlmElementType.UInt64
            : typeof(T) == typeof(bool) ? SlmElementType.Bool
            : null;
    }
}
