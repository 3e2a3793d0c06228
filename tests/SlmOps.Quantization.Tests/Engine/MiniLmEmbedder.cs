using Microsoft.ML.Tokenizers;
using SlmOps.Testing;
using SlmOps.Validation;

namespace SlmOps.Quantization.Tests.Engine;

/// <summary>The product's <see cref="SentenceEmbedder"/> with MiniLM's tokenizer, for any variant of the model.</summary>
public static class MiniLmEmbedder
{
    private static readonly Lazy<BertTokenizer> s_tokenizer = new(() => BertTokenizer.Create(
        MiniLm.VocabPath, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true }));

    public static SentenceEmbedder Open(string modelPath) => new(modelPath, s_tokenizer.Value);
}
