using System;
using System.Collections.Generic;
using System.Linq;

namespace SlmOps.Contracts
{
    /// <summary>
    /// What the generator needs to know about one model: its identity, its kind and its typed inputs and outputs.
    /// Written by the worker as <c>contract.json</c>; read by the source generator. Value equality throughout, so the
    /// generator's incremental pipeline can cache on it.
    /// </summary>
    public sealed class ModelContract : IEquatable<ModelContract>
    {
        /// <summary>The schema version this library writes. Readers accept this version only.</summary>
        public const int CurrentSchemaVersion = 1;

        public ModelContract(
            string name,
            string @namespace,
            string kind,
            IReadOnlyList<TensorContract> inputs,
            IReadOnlyList<TensorContract> outputs,
            string? sourceSha256 = null)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Namespace = @namespace ?? throw new ArgumentNullException(nameof(@namespace));
            Kind = kind ?? throw new ArgumentNullException(nameof(kind));
            Inputs = inputs ?? throw new ArgumentNullException(nameof(inputs));
            Outputs = outputs ?? throw new ArgumentNullException(nameof(outputs));
            SourceSha256 = sourceSha256;
        }

        /// <summary>The C# class name of the generated wrapper, and the folder name under <c>models/</c>.</summary>
        public string Name { get; }

        /// <summary>The C# namespace of the generated wrapper.</summary>
        public string Namespace { get; }

        /// <summary>One of <see cref="ModelKinds"/>, resolved (never <c>auto</c>).</summary>
        public string Kind { get; }

        public IReadOnlyList<TensorContract> Inputs { get; }

        public IReadOnlyList<TensorContract> Outputs { get; }

        /// <summary>SHA-256 (lower-case hex) of the source model file the contract was made from.</summary>
        public string? SourceSha256 { get; }

        public bool Equals(ModelContract? other) =>
            other is not null
            && Name == other.Name
            && Namespace == other.Namespace
            && Kind == other.Kind
            && SourceSha256 == other.SourceSha256
            && Inputs.SequenceEqual(other.Inputs)
            && Outputs.SequenceEqual(other.Outputs);

        public override bool Equals(object? obj) => Equals(obj as ModelContract);

        public override int GetHashCode()
        {
            unchecked
            {
                int hash = Name.GetHashCode();
                hash = (hash * 397) ^ Namespace.GetHashCode();
                hash = (hash * 397) ^ Kind.GetHashCode();
                hash = (hash * 397) ^ Inputs.Count;
                hash = (hash * 397) ^ Outputs.Count;
                return hash;
            }
        }
    }

    /// <summary>One graph input or output.</summary>
    public sealed class TensorContract : IEquatable<TensorContract>
    {
        public TensorContract(string name, string elementType, IReadOnlyList<Dimension> shape)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            ElementType = elementType ?? throw new ArgumentNullException(nameof(elementType));
            Shape = shape ?? throw new ArgumentNullException(nameof(shape));
        }

        /// <summary>The ONNX value name, as ONNX Runtime expects it.</summary>
        public string Name { get; }

        /// <summary>The ONNX element type in lower case (<c>float</c>, <c>int64</c>, <c>float16</c>, ...); see <see cref="ElementTypes"/>.</summary>
        public string ElementType { get; }

        /// <summary>The dimensions; empty for a scalar.</summary>
        public IReadOnlyList<Dimension> Shape { get; }

        public bool Equals(TensorContract? other) =>
            other is not null && Name == other.Name && ElementType == other.ElementType && Shape.SequenceEqual(other.Shape);

        public override bool Equals(object? obj) => Equals(obj as TensorContract);

        public override int GetHashCode() => unchecked((Name.GetHashCode() * 397) ^ ElementType.GetHashCode());

        /// <summary>The shape as people write it: <c>[batch, sequence, 384]</c>.</summary>
        public string ShapeText => "[" + string.Join(", ", Shape.Select(d => d.ToString())) + "]";
    }

    /// <summary>A dimension: a fixed size, a symbolic name, or unknown.</summary>
    public readonly struct Dimension : IEquatable<Dimension>
    {
        private Dimension(long? value, string? symbol)
        {
            Value = value;
            Symbol = symbol;
        }

        public static Dimension Fixed(long value) => new Dimension(value, null);

        public static Dimension Symbolic(string symbol) => new Dimension(null, symbol ?? throw new ArgumentNullException(nameof(symbol)));

        public static Dimension Unknown => default;

        public long? Value { get; }

        public string? Symbol { get; }

        public bool Equals(Dimension other) => Value == other.Value && Symbol == other.Symbol;

        public override bool Equals(object? obj) => obj is Dimension other && Equals(other);

        public override int GetHashCode() => Value?.GetHashCode() ?? Symbol?.GetHashCode() ?? 0;

        public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
    }

    /// <summary>ONNX element type names as the contract spells them.</summary>
    public static class ElementTypes
    {
        public const string Float = "float";
        public const string Double = "double";
        public const string Float16 = "float16";
        public const string BFloat16 = "bfloat16";
        public const string Int8 = "int8";
        public const string Int16 = "int16";
        public const string Int32 = "int32";
        public const string Int64 = "int64";
        public const string UInt8 = "uint8";
        public const string UInt16 = "uint16";
        public const string UInt32 = "uint32";
        public const string UInt64 = "uint64";
        public const string Bool = "bool";
        public const string String = "string";
    }
}
