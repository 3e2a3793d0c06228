using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using SlmOps.Testing;

namespace SlmOps.Validation.Tests;

public class EmbeddingMetricsTests
{
    [Fact]
    public void Mean_pooling_averages_the_rows()
    {
        float[] hidden = [1, 2, 3, 3, 4, 5, 5, 6, 10];

        Assert.Equal([3f, 4f, 6f], EmbeddingMetrics.MeanPool(hidden, tokens: 3));
        Assert.Throws<ArgumentException>(() => EmbeddingMetrics.MeanPool(hidden, tokens: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingMetrics.MeanPool(hidden, tokens: 0));
    }

    [Fact]
    public void Cosine_is_one_for_one_direction_zero_for_orthogonal_and_minus_one_for_opposite()
    {
        Assert.Equal(1.0, EmbeddingMetrics.Cosine([1, 2, 3], [2, 4, 6]), 6);
        Assert.Equal(0.0, EmbeddingMetrics.Cosine([1, 0], [0, 5]), 6);
        Assert.Equal(-1.0, EmbeddingMetrics.Cosine([1, -2], [-1, 2]), 6);
    }

    [Fact]
    public void The_embedder_gives_the_normalized_mean_pooled_hidden_state_of_MiniLM()
    {
        var tokenizer = BertTokenizer.Create(MiniLm.VocabPath, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        const string text = "Small language models run on the edge.";
        using var embedder = new SentenceEmbedder(MiniLm.ModelPath, tokenizer);

        float[] embedding = embedder.Embed(text);

        long[] ids = tokenizer.EncodeToIds(text).Select(id => (long)id).ToArray();
        int[] shape = [1, ids.Length];
        using var session = new InferenceSession(MiniLm.ModelPath);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, ids.Length).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], shape)),
        ]);
        float[] hidden = results.First(r => r.Name == "last_hidden_state").AsTensor<float>().ToArray();
        float[] expected = EmbeddingMetrics.MeanPool(hidden, ids.Length);

        Assert.Equal(384, embedding.Length);
        Assert.Equal(1.0, Math.Sqrt(embedding.Sum(v => (double)v * v)), 5);
        double cosine = EmbeddingMetrics.Cosine(expected, embedding);
        Assert.True(cosine > 0.99999, $"cosine {cosine}");
    }
}
