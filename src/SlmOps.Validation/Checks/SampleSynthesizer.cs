using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SlmOps.Validation;

/// <summary>
/// Inputs for a model that comes without sample data, made from its graph inputs' element types and shapes.
/// Deterministic (one seed), so the original and the variant see the same values and a rebuild measures the same.
/// </summary>
/// <remarks>
/// <para>Sizes: a fixed dimension keeps its size; a symbolic one whose name contains <c>batch</c> is
/// <see cref="SynthesisOptions.BatchSize"/>, any other symbol <see cref="SynthesisOptions.SequenceLength"/> (the same
/// symbol has the same size in every input, so <c>input_ids</c> and <c>attention_mask</c> agree); an unnamed one is 1.
/// A decoder's KV cache (<c>past_key_values.*</c>) is empty: its past-sequence dimension is 0, so that an attention
/// mask over past + sequence has the sequence's length.</para>
/// <para>Values follow the input names that transformer exporters use: <c>attention_mask</c> is 1 except for the last
/// quarter of every second row (padding, so masking is exercised), <c>position_ids</c> counts 0, 1, …, and any other
/// integer input is uniform below its bound (the rows of the embedding table it indexes: <see cref="IndexBounds"/>; 2
/// when it indexes none). Floating-point inputs are uniform in [-1, 1]; booleans are random.</para>
/// </remarks>
public static class SampleSynthesizer
{
    /// <summary>One sample for every graph input of <paramref name="inputs"/> (ORT's input metadata, in graph order).</summary>
    /// <param name="inputs">The graph inputs, by name.</param>
    /// <param name="bounds">Exclusive upper bounds of integer inputs that index a table (see <see cref="IndexBounds"/>).</param>
    /// <param name="options">Sizes and seed.</param>
    /// <param name="modelPath">The model, for the error message.</param>
    /// <exception cref="ValidationException">SLM4005: an input of a type no sample can be made for (strings, maps, sequences).</exception>
    public static IReadOnlyList<TensorSample> Synthesize(
        IReadOnlyList<KeyValuePair<string, NodeMetadata>> inputs, IReadOnlyDictionary<string, long> bounds, SynthesisOptions options, string modelPath)
    {
        var random = new Random(options.Seed);
        var symbols = new Dictionary<string, long>(StringComparer.Ordinal);
        var samples = new List<TensorSample>(inputs.Count);
        foreach ((string name, NodeMetadata input) in inputs)
        {
            if (!input.IsTensor || input.ElementDataType == TensorElementType.String)
            {
                string what = input.IsTensor ? "a string tensor" : $"a {input.OnnxValueType}";
                throw new ValidationException(ValidationCodes.NoSample, modelPath,
                    $"The input '{name}' is {what}, for which the SDK cannot make sample inputs. Give the item SampleData, or turn validation off for it.");
            }

            long[] shape = Shape(input, symbols, options, SampleData.IsPast(name, input));
            long count = 1;
            foreach (long d in shape) count = checked(count * d);
            bounds.TryGetValue(name, out long bound);
            samples.Add(new TensorSample(name, input.ElementDataType, shape, Values(name, input.ElementDataType, shape, (int)count, bound, random)));
        }

        return samples;
    }

    // cache: a decoder's KV-cache input, whose sequence dimension (the third) is 0, an empty cache, as a generation
    // starts; a full one would have to agree with the attention mask's length (past + sequence).
    private static long[] Shape(NodeMetadata input, Dictionary<string, long> symbols, SynthesisOptions options, bool cache)
    {
        var shape = new long[input.Dimensions.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            string symbol = i < input.SymbolicDimensions.Length ? input.SymbolicDimensions[i] : "";
            if (input.Dimensions[i] >= 0)
            {
                shape[i] = input.Dimensions[i];
            }
            else if (cache && i == 2)
            {
                shape[i] = 0;
                if (symbol.Length > 0) symbols[symbol] = 0;
            }
            else if (symbol.Length == 0)
            {
                shape[i] = 1;
            }
            else if (!symbols.TryGetValue(symbol, out shape[i]))
            {
                shape[i] = symbol.Contains("batch", StringComparison.OrdinalIgnoreCase) ? options.BatchSize : options.SequenceLength;
                symbols[symbol] = shape[i];
            }
        }

        return shape;
    }

    private static Array Values(string name, TensorElementType type, long[] shape, int count, long bound, Random random)
    {
        switch (type)
        {
            case TensorElementType.Float: return Fill(count, _ => (float)Uniform(random));
            case TensorElementType.Double: return Fill(count, _ => Uniform(random));
            case TensorElementType.Float16: return Fill(count, _ => (Float16)(float)Uniform(random));
            case TensorElementType.BFloat16: return Fill(count, _ => (BFloat16)(float)Uniform(random));
            case TensorElementType.Bool: return Fill(count, _ => random.Next(2) == 1);
        }

        long[] integers = Integers(name, shape, count, bound, random);
        return type switch
        {
            TensorElementType.Int64 => integers,
            TensorElementType.Int32 => Array.ConvertAll(integers, v => (int)v),
            TensorElementType.Int16 => Array.ConvertAll(integers, v => (short)v),
            TensorElementType.Int8 => Array.ConvertAll(integers, v => (sbyte)v),
            TensorElementType.UInt8 => Array.ConvertAll(integers, v => (byte)v),
            TensorElementType.UInt16 => Array.ConvertAll(integers, v => (ushort)v),
            TensorElementType.UInt32 => Array.ConvertAll(integers, v => (uint)v),
            TensorElementType.UInt64 => Array.ConvertAll(integers, v => (ulong)v),
            _ => throw new InvalidOperationException($"No sample values for element type {type}."),
        };
    }

    private static long[] Integers(string name, long[] shape, int count, long bound, Random random)
    {
        long rowLength = shape.Length == 0 ? 1 : shape[^1];
        if (name == "attention_mask")
        {
            // Every second row ends in padding (a quarter of the row, at least one position when the row has two).
            long padding = rowLength / 4 > 0 ? rowLength / 4 : rowLength > 1 ? 1 : 0;
            return Fill(count, i => (i / rowLength) % 2 == 1 && i % rowLength >= rowLength - padding ? 0L : 1L);
        }

        if (name == "position_ids") return Fill(count, i => i % rowLength);
        long upper = bound > 0 ? bound : 2;
        return Fill(count, _ => random.NextInt64(upper));
    }

    private static double Uniform(Random random) => (random.NextDouble() * 2) - 1;

    private static T[] Fill<T>(int count, Func<int, T> value)
    {
        var values = new T[count];
        for (int i = 0; i < count; i++) values[i] = value(i);
        return values;
    }
}
