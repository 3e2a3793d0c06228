using System.Globalization;

namespace SlmOps.Runtime;

/// <summary>
/// One dimension of a model input or output as the model declares it: a fixed size, a symbolic name
/// (<c>batch</c>, <c>sequence</c>) that every input must agree on, or unknown.
/// </summary>
public readonly struct SlmDimension : IEquatable<SlmDimension>
{
    private SlmDimension(long? size, string? name)
    {
        Size = size;
        Name = name;
    }

    /// <summary>A dimension that must have exactly <paramref name="size"/> elements.</summary>
    public static SlmDimension Fixed(long size) =>
        size >= 0 ? new SlmDimension(size, null) : throw new ArgumentOutOfRangeException(nameof(size), size, "A fixed dimension cannot be negative.");

    /// <summary>A named dimension of any size; inputs that share the name must have the same size there.</summary>
    public static SlmDimension Symbolic(string name) =>
        string.IsNullOrEmpty(name) ? throw new ArgumentException("A symbolic dimension needs a name.", nameof(name)) : new SlmDimension(null, name);

    /// <summary>A dimension of any size.</summary>
    public static SlmDimension Unknown => default;

    /// <summary>The required size, for a fixed dimension.</summary>
    public long? Size { get; }

    /// <summary>The name, for a symbolic dimension.</summary>
    public string? Name { get; }

    /// <inheritdoc />
    public bool Equals(SlmDimension other) => Size == other.Size && Name == other.Name;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SlmDimension other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Size, Name);

    /// <summary>The size, the name, or <c>?</c>.</summary>
    public override string ToString() => Size?.ToString(CultureInfo.InvariantCulture) ?? Name ?? "?";

    /// <summary>Equality of two dimensions.</summary>
    public static bool operator ==(SlmDimension left, SlmDimension right) => left.Equals(right);

    /// <summary>Inequality of two dimensions.</summary>
    public static bool operator !=(SlmDimension left, SlmDimension right) => !left.Equals(right);
}
