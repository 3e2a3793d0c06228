using SlmOps.Contracts;
using SlmOps.Onnx.Protobuf;

namespace SlmOps.Onnx;

/// <summary>Names and sizes of ONNX element types (<see cref="TensorProto.Types.DataType"/> values).</summary>
public static class OnnxElementTypes
{
    /// <summary>
    /// The lower-case name the contract uses (<see cref="ElementTypes"/>), or a lower-case name for types the
    /// contract does not list yet (<c>complex64</c>, <c>float8e4m3fn</c>, <c>int4</c>, ...), or <c>type&lt;n&gt;</c>.
    /// </summary>
    public static string GetName(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float => ElementTypes.Float,
        TensorProto.Types.DataType.Double => ElementTypes.Double,
        TensorProto.Types.DataType.Float16 => ElementTypes.Float16,
        TensorProto.Types.DataType.Bfloat16 => ElementTypes.BFloat16,
        TensorProto.Types.DataType.Int8 => ElementTypes.Int8,
        TensorProto.Types.DataType.Int16 => ElementTypes.Int16,
        TensorProto.Types.DataType.Int32 => ElementTypes.Int32,
        TensorProto.Types.DataType.Int64 => ElementTypes.Int64,
        TensorProto.Types.DataType.Uint8 => ElementTypes.UInt8,
        TensorProto.Types.DataType.Uint16 => ElementTypes.UInt16,
        TensorProto.Types.DataType.Uint32 => ElementTypes.UInt32,
        TensorProto.Types.DataType.Uint64 => ElementTypes.UInt64,
        TensorProto.Types.DataType.Bool => ElementTypes.Bool,
        TensorProto.Types.DataType.String => ElementTypes.String,
        TensorProto.Types.DataType.Complex64 => "complex64",
        TensorProto.Types.DataType.Complex128 => "complex128",
        TensorProto.Types.DataType.Float8E4M3Fn => "float8e4m3fn",
        TensorProto.Types.DataType.Float8E4M3Fnuz => "float8e4m3fnuz",
        TensorProto.Types.DataType.Float8E5M2 => "float8e5m2",
        TensorProto.Types.DataType.Float8E5M2Fnuz => "float8e5m2fnuz",
        TensorProto.Types.DataType.Uint4 => "uint4",
        TensorProto.Types.DataType.Int4 => "int4",
        TensorProto.Types.DataType.Float4E2M1 => "float4e2m1",
        TensorProto.Types.DataType.Undefined => "undefined",
        _ => "type<" + dataType.ToString(System.Globalization.CultureInfo.InvariantCulture) + ">",
    };

    /// <summary>Bits per element; 0 for <c>string</c> (variable) and for unknown types.</summary>
    public static int GetBitsPerElement(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 32,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64
            or TensorProto.Types.DataType.Complex64 => 64,
        TensorProto.Types.DataType.Complex128 => 128,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16
            or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 16,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool
            or TensorProto.Types.DataType.Float8E4M3Fn or TensorProto.Types.DataType.Float8E4M3Fnuz
            or TensorProto.Types.DataType.Float8E5M2 or TensorProto.Types.DataType.Float8E5M2Fnuz => 8,
        TensorProto.Types.DataType.Int4 or TensorProto.Types.DataType.Uint4 or TensorProto.Types.DataType.Float4E2M1 => 4,
        _ => 0,
    };

    /// <summary>Payload bytes of <paramref name="elementCount"/> elements, rounding sub-byte types up; null when the type is unknown or the count too large.</summary>
    public static long? GetByteCount(int dataType, long elementCount)
    {
        int bits = GetBitsPerElement(dataType);
        if (bits == 0 || elementCount < 0 || elementCount > (long.MaxValue - 7) / bits) return null;
        return (elementCount * bits + 7) / 8;
    }
}
