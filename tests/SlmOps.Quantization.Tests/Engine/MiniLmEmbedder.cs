using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using SlmOps.Testing;

namespace SlmOps.Quantization.Tests.Engine;

/// <summary>Mean-pooled, normalized MiniLM sentence embeddings from any variant of the model, one text at a time (batch 1).</summary>
public sealed class MiniLmEmbedder : IDisposable
{
    private static readonly Lazy<BertTokenizer> s_tokenizer = new(() => BertTokenizer.Create(
        MiniLm.VocabPath, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true }));

    private readonly InferenceSession _session;

    public MiniLmEmbedder(string modelPath)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(modelPath, options);
    }

    public float[] Embed(string text)
    {
        long[] ids = s_tokenizer.Value.EncodeToIds(text).Select(id => (long)id).ToArray();
        int length = ids.Length;
        var shape = new[] { 1, length };
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, length).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[length], shape)),
        };
        using var results = _session.Run(inputs, ["last_hidden_state"]);
        var pooled = MeanPool(results[0].AsTensor<float>().ToArray(), length);
        float norm = MathF.Sqrt(pooled.Sum(v => v * v));
        return pooled.Select(v => v / norm).ToArray();
    }

    /// <summary>The mean over the tokens of a [1, tokens, width] hidden state.</summary>
    public static float[] MeanPool(float[] hidden, int tokens)
    {
        int width = hidden.Length / tokens;
        var pooled = new float[width];
        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < width; i++) pooled[i] += hidden[t * width + i] / tokens;
        }
        return pooled;
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>
/// The fixed evaluation set: 56 texts from one token to a long paragraph — greetings, questions, numbers, accents,
/// other scripts, code, URLs — because short texts are where quantization hurts embeddings most.
/// </summary>
public static class AccuracyTexts
{
    public static readonly IReadOnlyList<string> All =
    [
        "OK",
        "Why?!",
        "Hi",
        "No.",
        "42",
        "Yes!",
        "Thanks a lot",
        "Good morning",
        "Where is the station?",
        "I love this.",
        "Ça va très bien, merci.",
        "Müller's Straße is closed.",
        "¿Dónde está la biblioteca?",
        "naïve café résumé",
        "Tokyo 東京",
        "Москва — столица России.",
        "3.14159",
        "Call 555-0199 before 9:30 pm.",
        "The invoice total is $1,234.56, due on 2024-03-15.",
        "Version 2.0.1 fixes CVE-2024-12345.",
        "for (int i = 0; i < n; i++) sum += a[i];",
        "SELECT name, COUNT(*) FROM users GROUP BY name;",
        "def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)",
        "git commit -m \"fix: handle null input\"",
        "https://example.com/path?query=1&lang=en",
        "user@example.org",
        "Charge your laptop battery between 20 and 80 percent to make it last longer.",
        "Regular stretching reduces muscle stiffness after running.",
        "Water the tomato plants early in the morning during hot weeks.",
        "The central bank raised interest rates by a quarter point.",
        "A quick brown fox jumps over the lazy dog.",
        "She sells sea shells by the sea shore.",
        "The mitochondria is the powerhouse of the cell.",
        "Photosynthesis converts light energy into chemical energy.",
        "How do I reset my password?",
        "The train to Berlin leaves from platform seven.",
        "Our quarterly revenue grew by twelve percent year over year.",
        "Please keep the door closed to save heating energy.",
        "The recipe calls for two cups of flour and one egg.",
        "Rain is expected tomorrow afternoon across the coast.",
        "He scored the winning goal in the final minute.",
        "The museum opens at ten and closes at six.",
        "Quantum computers use qubits that can be in superposition.",
        "Never share your private key with anyone.",
        "The patient reported mild headaches and fatigue for three days.",
        "Sort the list in descending order and return the top five.",
        "I can't believe it's already December!",
        "Hmm...",
        "lol",
        "!!!",
        "Error 404: page not found",
        "The cat sat on the mat.",
        "Climate change affects rainfall patterns, crop yields and water supplies in many regions of the world, "
            + "and adapting agriculture to these shifts requires better forecasts, new seed varieties and careful water management.",
        "In 1969, Apollo 11 landed on the Moon; Neil Armstrong and Buzz Aldrin walked on the surface while Michael Collins orbited above.",
        "To install the package, run the restore command, then build the solution in Release mode and run the tests before you publish.",
        "Small language models can run on phones, cameras and gateways without sending private data to the cloud.",
    ];
}
