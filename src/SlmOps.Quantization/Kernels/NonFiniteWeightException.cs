using System.Globalization;
using System.Numerics.Tensors;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// Thrown when a weight tensor holds a NaN or an infinity: such a tensor has no meaningful quantization, and the
/// kernels refuse it rather than write scales or codes that would poison every output of the layer.
/// </summary>
public sealed class NonFiniteWeightException : Exception
{
    /// <summary>Creates the exception for the element at <paramref name="index"/>, whose value is <paramref name="value"/>.</summary>
    /// <param name="index">The flat (row-major) index of the first non-finite element.</param>
    /// <param name="value">That element: NaN, positive or negative infinity.</param>
    public NonFiniteWeightException(long index, float value)
        : base(string.Create(
            CultureInfo.InvariantCulture,
            $"Weight element {index} is {Describe(value)}; the tensor can only be quantized, pruned or converted when every weight is finite."))
    {
        Index = index;
        Value = value;
    }

    /// <summary>The flat (row-major) index of the first non-finite element: the lowest such index in the tensor.</summary>
    public long Index { get; }

    /// <summary>The non-finite value found at <see cref="Index"/>.</summary>
    public float Value { get; }

    /// <summary>Throws for the first non-finite element of <paramref name="values"/>, if there is one.</summary>
    internal static void ThrowIfAny(ReadOnlySpan<float> values)
    {
        if (!values.IsEmpty && !TensorPrimitives.IsFiniteAll(values))
            throw ForFirstIn(values);
    }

    /// <summary>The exception for the lowest-index non-finite element of <paramref name="values"/>, which must hold one.</summary>
    internal static NonFiniteWeightException ForFirstIn(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                return new NonFiniteWeightException(i, values[i]);
        }

        throw new InvalidOperationException("A non-finite weight was reported but none was found.");
    }

    private static string Describe(float value) =>
        float.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
}
