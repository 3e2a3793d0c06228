using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using SlmOps.Testing;

namespace SlmOps.Runtime.Tests;

/// <summary>
/// The embedding facade on the real MiniLM: it reproduces a direct ONNX Runtime run with mean pooling exactly, batches
/// with padding to the same embeddings, ranks similar sentences first, and loads the tokenizer the SDK ships.
/// </summary>
public sealed class SlmEmbeddingGeneratorTests : IDisposable
{
    private static readonly SlmTensorSpec[] Inputs =
    [
        new("input_ids", SlmElementType.Int64, SlmDimension.Symbolic("batch"), SlmDimension.Symbolic("sequence")),
        new("attention_mask", SlmElementType.Int64, SlmDimension.Symbolic("batch"), SlmDimension.Symbolic("sequence")),
        new("token_type_ids", SlmElementType.Int64, SlmDimension.Symbolic("batch"), SlmDimension.Symbolic("sequence")),
    ];

    private static readonly SlmTensorSpec[] Outputs =
    [
        new("last_hidden_state", SlmElementType.Float, SlmDimension.Symbolic("batch"), SlmDimension.Symbolic("sequence"), SlmDimension.Fixed(384)),
    ];

    private readonly TempDirectory _temp = new();
    private readonly SlmSession _session = SlmSession.Open(MiniLm.ModelPath);

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    private SlmEmbeddingGenerator Generator(SlmEmbeddingOptions? options = null) =>
        new(_session, Inputs, Outputs, BertTokenizer.Create(MiniLm.VocabPath), "MiniLm", options);

    /// <summary>A direct ONNX Runtime run of one text and the mean of its token vectors, summed in token order.</summary>
    private static float[] Reference(string text)
    {
        long[] ids = BertTokenizer.Create(MiniLm.VocabPath).EncodeToIds(text).Select(i => (long)i).ToArray();
        int[] shape = [1, ids.Length];
        using var session = new InferenceSession(MiniLm.ModelPath);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, ids.Length).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], shape)),
        ], ["last_hidden_state"]);
        var hidden = results[0].AsTensor<float>();
        var mean = new float[384];
        for (int t = 0; t < ids.Length; t++)
        {
            for (int d = 0; d < 384; d++) mean[d] += hidden[0, t, d];
        }

        for (int d = 0; d < 384; d++) mean[d] /= ids.Length;
        return mean;
    }

    [Fact]
    public async Task One_text_reproduces_a_direct_onnx_runtime_run_with_mean_pooling_exactly_and_normalized_is_unit_length()
    {
        const string text = "A quantized model uses less memory on edge devices.";

        var raw = await Generator(new SlmEmbeddingOptions { Normalize = false }).GenerateAsync([text]);
        var normalized = await Generator().GenerateVectorAsync(text);

        Assert.Equal(Reference(text), raw[0].Vector.ToArray());
        Assert.Equal(1.0, TensorPrimitives.Norm(normalized.Span), 5);
        Assert.Equal(1.0, TensorPrimitives.CosineSimilarity(normalized.Span, raw[0].Vector.Span), 5);
        Assert.Equal(13, raw.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task A_padded_batch_gives_the_embeddings_each_text_gets_alone_and_similar_sentences_rank_first()
    {
        string[] texts =
        [
            "The cat sat on the warm windowsill all afternoon.",
            "A kitten dozed in the sun by the window.",
            "The central bank raised interest rates by a quarter point.",
            "Rates went up at the central bank.",
            "Hi",
        ];
        var generator = Generator(new SlmEmbeddingOptions { BatchSize = 4 });

        var batched = await generator.GenerateAsync(texts);
        var alone = new List<float[]>();
        foreach (string text in texts) alone.Add((await generator.GenerateVectorAsync(text)).ToArray());

        Assert.Equal(texts.Length, batched.Count);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(384, batched[i].Vector.Length);
            Assert.True(TensorPrimitives.CosineSimilarity(batched[i].Vector.Span, alone[i]) > 0.99999, $"text {i}");
        }

        double Similarity(int a, int b) => TensorPrimitives.CosineSimilarity(batched[a].Vector.Span, batched[b].Vector.Span);
        Assert.True(Similarity(0, 1) > Similarity(0, 2) + 0.2, $"cat/kitten {Similarity(0, 1):F3} vs cat/bank {Similarity(0, 2):F3}");
        Assert.True(Similarity(2, 3) > Similarity(2, 1) + 0.2, $"bank/rates {Similarity(2, 3):F3} vs bank/kitten {Similarity(2, 1):F3}");
        Assert.Equal(new EmbeddingGeneratorMetadata("SlmOps", null, "MiniLm", 384).DefaultModelDimensions, generator.Metadata.DefaultModelDimensions);
        Assert.Equal("MiniLm", batched[0].ModelId);
    }

    [Fact]
    public async Task Texts_longer_than_MaxTokens_are_cut_and_the_shipped_tokenizer_loads_from_the_model_folder()
    {
        string folder = _temp.Combine("MiniLm");
        Directory.CreateDirectory(Path.Combine(folder, SlmTokenizer.FolderName));
        File.Copy(MiniLm.VocabPath, Path.Combine(folder, SlmTokenizer.FolderName, "vocab.txt"));
        Tokenizer tokenizer = Assert.IsType<BertTokenizer>(SlmTokenizer.TryLoad(folder));
        var generator = new SlmEmbeddingGenerator(_session, Inputs, Outputs, tokenizer, "MiniLm", new SlmEmbeddingOptions { MaxTokens = 8 });

        var cut = await generator.GenerateAsync([string.Join(' ', Enumerable.Repeat("edge", 100))]);

        Assert.Equal(8, cut.Usage!.InputTokenCount);
        Assert.Null(SlmTokenizer.TryLoad(_temp.Combine("empty")));
        var missing = Assert.Throws<InvalidOperationException>(() => SlmTokenizer.Load(_temp.Combine("empty"), "MiniLm"));
        Assert.StartsWith($"The model 'MiniLm' has no tokenizer in '{Path.Combine(_temp.Combine("empty"), "tokenizer")}'.", missing.Message);
    }

    [Fact]
    public void A_model_that_is_no_text_encoder_is_refused_with_a_message_that_says_why()
    {
        var tokenizer = BertTokenizer.Create(MiniLm.VocabPath);
        SlmTensorSpec pixels = new("pixels", SlmElementType.Float, SlmDimension.Fixed(1), SlmDimension.Fixed(3));

        var noIds = Assert.Throws<ArgumentException>(() => new SlmEmbeddingGenerator(_session, [pixels], Outputs, tokenizer, "X"));
        var noOutput = Assert.Throws<ArgumentException>(() => new SlmEmbeddingGenerator(_session, Inputs, [Inputs[0]], tokenizer, "X"));

        Assert.StartsWith("The input 'pixels' is pixels: float [1, 3]; an embedding generator fills", noIds.Message);
        Assert.StartsWith("The model has no float output to pool", noOutput.Message);
    }
}
