namespace SlmOps.Runtime;

/// <summary>How <see cref="SlmEmbeddingGenerator"/> turns texts into embeddings.</summary>
public sealed record SlmEmbeddingOptions
{
    /// <summary>Tokens per text at most, special tokens included; longer texts are cut (BERT-style encoders take 512).</summary>
    public int MaxTokens { get; init; } = 512;

    /// <summary>Texts per model run; a batch is padded to its longest text.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Scale every embedding to unit length, so that a dot product is the cosine similarity.</summary>
    public bool Normalize { get; init; } = true;
}
