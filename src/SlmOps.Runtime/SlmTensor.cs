using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace SlmOps.Runtime;

/// <summary>
/// A dense, row-major tensor: a shape and the elements that fill it. The non-generic base lets sessions take inputs
/// of different element types together; create tensors through <see cref="SlmTensor{T}"/>.
/// </summary>
public abstract class SlmTensor
{
    private readonly long[] _shape;

    private protected SlmTensor(long[] shape, long elementCount)
    {
        _shape = shape;
        ElementCount = elementCount;
    }

    /// <summary>The size of each dimension; empty for a scalar.</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements: the product of <see cref="Shape"/>.</summary>
    public long ElementCount { get; }

    /// <summary>The element type.</summary>
    public abstract SlmElementType ElementType { get; }

    /// <summary>The shape as people write it: <c>[1, 12, 384]</c>.</summary>
    public string ShapeText => FormatShape(_shape);

    internal long[] ShapeArray => _shape;

    /// <summary>Wraps the elements in an ONNX Runtime value without copying them; dispose the value, then the pin.</summary>
    internal abstract OrtValue CreateOrtValue(out MemoryHandle pin);

    /// <summary>For example <c>SlmTensor&lt;float&gt; [1, 12, 384]</c>.</summary>
    public override string ToString() => $"SlmTensor<{SlmElementTypes.OnnxName(ElementType)}> {ShapeText}";

    internal static string FormatShape(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++) parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }
}

/// <summary>
/// A dense, row-major tensor of <typeparamref name="T"/>: the input and output type of generated model wrappers.
/// The tensor does not copy the memory it is created over; ONNX Runtime reads inputs straight from it.
/// </summary>
/// <typeparam name="T">
/// One of <see cref="float"/>, <see cref="double"/>, <see cref="Half"/>, <see cref="sbyte"/>, <see cref="short"/>,
/// <see cref="int"/>, <see cref="long"/>, <see cref="byte"/>, <see cref="ushort"/>, <see cref="uint"/>,
/// <see cref="ulong"/> or <see cref="bool"/>.
/// </typeparam>
/// <example>
/// <code>
/// var ids = SlmTensor&lt;long&gt;.Create([101, 7592, 102], 1, 3); // shape [1, 3]
/// long first = ids[0, 0];
/// </code>
/// </example>
public sealed class SlmTensor<T> : SlmTensor where T : unmanaged
{
    private readonly Memory<T> _data;

    private SlmTensor(Memory<T> data, long[] shape, long elementCount, SlmElementType elementType)
        : base(shape, elementCount)
    {
        _data = data;
        ElementType = elementType;
    }

    /// <inheritdoc />
    public override SlmElementType ElementType { get; }

    /// <summary>The elements, row-major. Writes go to the memory the tensor was created over.</summary>
    public Span<T> Span => _data.Span;

    /// <summary>The elements, row-major, as <see cref="Memory{T}"/>.</summary>
    public Memory<T> Memory => _data;

    /// <summary>Creates a tensor over <paramref name="data"/> (not copied).</summary>
    /// <param name="data">The elements, row-major; their count must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The size of each dimension; none for a scalar.</param>
    /// <exception cref="ArgumentException">A dimension is negative or the element count does not match the shape.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not a supported element type.</exception>
    public static SlmTensor<T> Create(T[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Create(data.AsMemory(), shape);
    }

    /// <summary>Creates a tensor over <paramref name="data"/> (not copied), which may be a slice of a larger buffer.</summary>
    /// <inheritdoc cref="Create(T[], long[])"/>
    public static SlmTensor<T> Create(Memory<T> data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var elementType = SlmElementTypes.Of<T>()
            ?? throw new NotSupportedException($"{typeof(T)} is not a tensor element type SlmOps supports.");
        long[] ownShape = (long[])shape.Clone();
        long count = 1;
        for (int i = 0; i < ownShape.Length; i++)
        {
            if (ownShape[i] < 0)
                throw new ArgumentException($"Dimension {i} of shape {FormatShape(ownShape)} is negative.", nameof(shape));
            count = ownShape[i] == 0 || count == 0 ? 0 : checked(count * ownShape[i]);
        }

        if (count != data.Length)
        {
            throw new ArgumentException(
                $"Shape {FormatShape(ownShape)} holds {count} elements, but {data.Length} were given.", nameof(data));
        }

        return new SlmTensor<T>(data, ownShape, count, elementType);
    }

    /// <summary>Creates a tensor of the given shape filled with <c>default(T)</c>.</summary>
    /// <inheritdoc cref="Create(T[], long[])"/>
    public static SlmTensor<T> Zeros(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape {FormatShape(shape)} has a negative dimension.", nameof(shape));
            count = checked(count * d);
        }

        return Create(new T[checked((int)count)], shape);
    }

    /// <summary>The element at <paramref name="i0"/> of a rank-1 tensor.</summary>
    public ref T this[long i0] => ref Span[checked((int)Offset(1, i0, 0, 0, 0))];

    /// <summary>The element at (<paramref name="i0"/>, <paramref name="i1"/>) of a rank-2 tensor.</summary>
    public ref T this[long i0, long i1] => ref Span[checked((int)Offset(2, i0, i1, 0, 0))];

    /// <summary>The element at (<paramref name="i0"/>, <paramref name="i1"/>, <paramref name="i2"/>) of a rank-3 tensor.</summary>
    public ref T this[long i0, long i1, long i2] => ref Span[checked((int)Offset(3, i0, i1, i2, 0))];

    /// <summary>The element at (<paramref name="i0"/>, <paramref name="i1"/>, <paramref name="i2"/>, <paramref name="i3"/>) of a rank-4 tensor.</summary>
    public ref T this[long i0, long i1, long i2, long i3] => ref Span[checked((int)Offset(4, i0, i1, i2, i3))];

    /// <summary>Copies the elements into a new array.</summary>
    public T[] ToArray() => _data.ToArray();

    internal override unsafe OrtValue CreateOrtValue(out MemoryHandle pin)
    {
        pin = _data.Pin();
        try
        {
            return OrtValue.CreateTensorValueWithData(
                OrtMemoryInfo.DefaultInstance,
                SlmElementTypes.ToOrt(ElementType),
                ShapeArray,
                (IntPtr)pin.Pointer,
                (long)_data.Length * sizeof(T));
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <summary>Copies raw tensor bytes that ONNX Runtime produced into a new tensor.</summary>
    internal static SlmTensor<T> CopyFrom(ReadOnlySpan<byte> bytes, long[] shape)
    {
        var data = new T[bytes.Length / System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
        bytes.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        return Create(data, shape);
    }

    private long Offset(int rank, long i0, long i1, long i2, long i3)
    {
        ReadOnlySpan<long> shape = Shape;
        if (shape.Length != rank)
            throw new ArgumentException($"A tensor of shape {ShapeText} takes {shape.Length} indices, not {rank}.");

        long offset = 0;
        for (int d = 0; d < rank; d++)
        {
            long index = d switch { 0 => i0, 1 => i1, 2 => i2, _ => i3 };
            if ((ulong)index >= (ulong)shape[d])
                throw new IndexOutOfRangeException($"Index {index} is outside dimension {d} of shape {ShapeText}.");
            offset = (offset * shape[d]) + index;
        }

        return offset;
    }
}
