using SlmOps.Contracts;

namespace SlmOps.Onnx;

/// <summary>What <c>slmops inspect</c> shows and what the contract is made from. Plain data; serializable as JSON.</summary>
public sealed class ModelInspection
{
    public required string FilePath { get; init; }

    public required long FileLength { get; init; }

    public string? Sha256 { get; init; }

    public required long IrVersion { get; init; }

    public required IReadOnlyList<OpsetImport> Opsets { get; init; }

    public required string ProducerName { get; init; }

    public required string ProducerVersion { get; init; }

    /// <summary>Graph inputs the caller feeds: initializers listed as inputs (IR &lt; 4 style) are left out.</summary>
    public required IReadOnlyList<GraphValue> Inputs { get; init; }

    public required IReadOnlyList<GraphValue> Outputs { get; init; }

    /// <summary>Nodes by <c>domain:op_type</c>, subgraphs included; most frequent first.</summary>
    public required IReadOnlyList<OperatorCount> Operators { get; init; }

    public required int NodeCount { get; init; }

    /// <summary>Initializers of the main graph.</summary>
    public required int InitializerCount { get; init; }

    /// <summary>Payload bytes of the main graph's initializers (raw, typed or external).</summary>
    public required long InitializerBytes { get; init; }

    public required IReadOnlyList<InitializerSummary> InitializersByType { get; init; }

    public required IReadOnlyList<ExternalDataSummary> ExternalDataFiles { get; init; }

    /// <summary>The kind <c>auto</c> resolves to for this model; see <see cref="DetectKind"/>.</summary>
    public required string DetectedKind { get; init; }

    /// <summary>
    /// The kind from input and output names: <c>causal-lm</c> with an <c>input_ids</c> input and a <c>logits</c>
    /// output; else <c>embedding</c> with an <c>input_ids</c> input or a <c>last_hidden_state</c>,
    /// <c>sentence_embedding</c> or <c>embeddings</c> output; else <c>generic</c>.
    /// </summary>
    public static string DetectKind(IEnumerable<string> inputNames, IEnumerable<string> outputNames)
    {
        var inputs = inputNames.ToHashSet(StringComparer.Ordinal);
        var outputs = outputNames.ToHashSet(StringComparer.Ordinal);
        bool hasInputIds = inputs.Contains("input_ids");
        if (hasInputIds && outputs.Contains("logits")) return ModelKinds.CausalLm;
        if (hasInputIds || outputs.Contains("last_hidden_state") || outputs.Contains("sentence_embedding") || outputs.Contains("embeddings"))
            return ModelKinds.Embedding;
        return ModelKinds.Generic;
    }

    /// <summary>
    /// The contract for the generator. <paramref name="kind"/> <c>auto</c> (or empty) becomes <see cref="DetectedKind"/>.
    /// Throws <see cref="OnnxModelException"/> (SLM2008) when an input or output is not a tensor with a known element type and rank.
    /// </summary>
    public ModelContract ToContract(string name, string @namespace, string kind = ModelKinds.Auto, string? sourceSha256 = null)
    {
        string resolved = string.IsNullOrEmpty(kind) || kind == ModelKinds.Auto ? DetectedKind : kind;
        return new ModelContract(name, @namespace, resolved, Inputs.Select(v => ToTensor(v, "input")).ToList(),
            Outputs.Select(v => ToTensor(v, "output")).ToList(), sourceSha256 ?? Sha256);
    }

    private TensorContract ToTensor(GraphValue value, string role)
    {
        if (!value.IsTensor)
        {
            throw new OnnxModelException(OnnxErrorCodes.UnsupportedGraphValue, FilePath,
                $"The graph {role} '{value.Name}' is a {value.Type}; only tensor inputs and outputs are supported. Wrap the model so its {role}s are tensors.");
        }
        if (value.ElementType is null || value.ElementType == "undefined")
        {
            throw new OnnxModelException(OnnxErrorCodes.UnsupportedGraphValue, FilePath,
                $"The graph {role} '{value.Name}' declares no element type; re-export the model with typed {role}s.");
        }
        if (value.Shape is null)
        {
            throw new OnnxModelException(OnnxErrorCodes.UnsupportedGraphValue, FilePath,
                $"The graph {role} '{value.Name}' has no shape (unknown rank); run ONNX shape inference and save the model again.");
        }
        return new TensorContract(value.Name, value.ElementType, value.Shape);
    }
}

/// <summary>An opset the model imports; the default domain is shown as <c>ai.onnx</c>.</summary>
public sealed record OpsetImport(string Domain, long Version);

/// <summary>A graph input or output.</summary>
/// <param name="Name">The ONNX value name.</param>
/// <param name="Type">How ONNX would write the type: <c>tensor(float)</c>, <c>seq(tensor(int64))</c>, ...</param>
/// <param name="IsTensor">True for dense tensors; the contract supports only those.</param>
/// <param name="ElementType">The element type name for tensors (<see cref="OnnxElementTypes.GetName"/>), else null.</param>
/// <param name="Shape">The dimensions; null when the rank is unknown or the value is not a tensor.</param>
public sealed record GraphValue(string Name, string Type, bool IsTensor, string? ElementType, IReadOnlyList<Dimension>? Shape)
{
    /// <summary><c>[batch, sequence, 384]</c>, <c>?</c> for unknown dimensions, <c>(unknown rank)</c>.</summary>
    public string ShapeText => Shape is null ? "(unknown rank)" : "[" + string.Join(", ", Shape.Select(d => d.ToString())) + "]";
}

/// <summary>How many nodes have one operator.</summary>
public sealed record OperatorCount(string Domain, string OpType, int Count)
{
    public string Key => Domain + ":" + OpType;
}

/// <summary>Initializers of one element type.</summary>
public sealed record InitializerSummary(string ElementType, int Count, long Bytes);

/// <summary>An external-data file: where it is relative to the model and how much of it the model references.</summary>
public sealed record ExternalDataSummary(string Path, long FileLength, long BytesReferenced, int TensorCount);
