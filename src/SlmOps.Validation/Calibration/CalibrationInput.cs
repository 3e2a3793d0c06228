using Microsoft.ML.OnnxRuntime;

namespace SlmOps.Validation;

/// <summary>One input tensor of a calibration sample: float, int64 or int32 values with their shape (row-major).</summary>
public sealed class CalibrationInput
{
    private readonly Func<OrtValue> _create;

    private CalibrationInput(Array values, long[] shape, Type elementType, Func<OrtValue> create)
    {
        long count = shape.Aggregate(1L, (product, dim) => dim < 0
            ? throw new ArgumentException($"Shape dimension {dim} is negative.", nameof(shape))
            : checked(product * dim));
        if (count != values.Length)
            throw new ArgumentException($"The shape [{string.Join(", ", shape)}] needs {count:N0} values; {values.Length:N0} were given.", nameof(values));
        Values = values;
        Shape = shape;
        ElementType = elementType;
        _create = create;
    }

    /// <summary>The values, row-major (a <c>float[]</c>, <c>long[]</c> or <c>int[]</c>).</summary>
    public Array Values { get; }

    /// <summary>The tensor's shape.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary><c>typeof(float)</c>, <c>typeof(long)</c> or <c>typeof(int)</c>.</summary>
    public Type ElementType { get; }

    /// <summary>A float32 tensor.</summary>
    /// <param name="values">The values, row-major (not copied: keep them unchanged until calibration returns).</param>
    /// <param name="shape">The dimensions; their product must be the number of values.</param>
    public static CalibrationInput Float(float[] values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        long[] dims = [.. shape];
        return new(values, dims, typeof(float), () => OrtValue.CreateTensorValueFromMemory(values, dims));
    }

    /// <summary>An int64 tensor (token ids, attention masks).</summary>
    /// <param name="values">The values, row-major (not copied: keep them unchanged until calibration returns).</param>
    /// <param name="shape">The dimensions; their product must be the number of values.</param>
    public static CalibrationInput Int64(long[] values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        long[] dims = [.. shape];
        return new(values, dims, typeof(long), () => OrtValue.CreateTensorValueFromMemory(values, dims));
    }

    /// <summary>An int32 tensor.</summary>
    /// <param name="values">The values, row-major (not copied: keep them unchanged until calibration returns).</param>
    /// <param name="shape">The dimensions; their product must be the number of values.</param>
    public static CalibrationInput Int32(int[] values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        long[] dims = [.. shape];
        return new(values, dims, typeof(int), () => OrtValue.CreateTensorValueFromMemory(values, dims));
    }

    /// <summary>An ONNX Runtime value over <see cref="Values"/> (pinned, not copied); dispose it after the run.</summary>
    internal OrtValue ToOrtValue() => _create();
}
