namespace SlmOps.Runtime;

/// <summary>
/// What a model declares about one input or output: its ONNX name, element type and shape. Generated wrappers keep
/// one per graph input and output and hand them to <see cref="SlmSession.Run"/>, which checks inputs against them.
/// </summary>
public sealed class SlmTensorSpec
{
    private readonly SlmDimension[] _shape;

    /// <summary>Creates a spec.</summary>
    /// <param name="name">The ONNX value name, exactly as the graph spells it.</param>
    /// <param name="elementType">The element type.</param>
    /// <param name="shape">The declared dimensions; none for a scalar.</param>
    public SlmTensorSpec(string name, SlmElementType elementType, params SlmDimension[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        ElementType = elementType;
        _shape = (SlmDimension[])shape.Clone();
    }

    /// <summary>The ONNX value name.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SlmElementType ElementType { get; }

    /// <summary>The declared dimensions.</summary>
    public ReadOnlySpan<SlmDimension> Shape => _shape;

    /// <summary>The shape as people write it: <c>[batch, sequence, 384]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", _shape) + "]";

    /// <summary>For example <c>input_ids: int64 [batch, sequence]</c>.</summary>
    public override string ToString() => $"{Name}: {SlmElementTypes.OnnxName(ElementType)} {ShapeText}";
}
