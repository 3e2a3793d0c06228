using Microsoft.ML.Tokenizers;

namespace SlmOps.Runtime;

/// <summary>
/// The tokenizer the SlmOps SDK ships beside a model (<c>tokenizer/</c> in its folder): a WordPiece <c>vocab.txt</c>
/// (BERT and its family) or a byte-level BPE <c>vocab.json</c> with <c>merges.txt</c> (GPT-2 and its family),
/// loaded with Microsoft.ML.Tokenizers.
/// </summary>
public static class SlmTokenizer
{
    /// <summary>The folder beside <c>model.onnx</c> that holds the tokenizer's files.</summary>
    public const string FolderName = "tokenizer";

    /// <summary>
    /// Loads the tokenizer in <paramref name="modelDirectory"/>'s <c>tokenizer/</c> folder: <c>vocab.txt</c> as a
    /// <see cref="BertTokenizer"/> (lower-casing, as uncased BERT vocabularies need), else <c>vocab.json</c> with
    /// <c>merges.txt</c> as a byte-level BPE tokenizer; null when the folder has neither.
    /// </summary>
    /// <exception cref="InvalidDataException">A tokenizer file is there but cannot be read as one.</exception>
    public static Tokenizer? TryLoad(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        string folder = Path.Combine(modelDirectory, FolderName);
        string wordPiece = Path.Combine(folder, "vocab.txt");
        string bpe = Path.Combine(folder, "vocab.json");
        string merges = Path.Combine(folder, "merges.txt");
        try
        {
            if (File.Exists(wordPiece)) return BertTokenizer.Create(wordPiece);
            if (File.Exists(bpe) && File.Exists(merges))
            {
                using var vocabulary = File.OpenRead(bpe);
                using var rules = File.OpenRead(merges);
                return CodeGenTokenizer.Create(vocabulary, rules);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"The tokenizer in '{folder}' cannot be read: {ex.Message}", ex);
        }

        return null;
    }

    /// <summary>
    /// <see cref="TryLoad"/>, for a generated wrapper's facades: throws when the folder has no tokenizer, with a
    /// message that says where the SDK puts it and how to pass one instead.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model's folder has no tokenizer.</exception>
    public static Tokenizer Load(string modelDirectory, string modelName) =>
        TryLoad(modelDirectory) ?? throw new InvalidOperationException(
            $"The model '{modelName}' has no tokenizer in '{Path.Combine(modelDirectory, FolderName)}'. The SlmOps SDK ships the model's vocab.txt, or vocab.json " +
            "and merges.txt, there when it finds them beside the model or in the Tokenizer metadata; or pass a tokenizer (AsEmbeddingGenerator, AsChatClient).");
}
