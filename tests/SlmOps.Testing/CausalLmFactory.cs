using System.Text;
using System.Text.Json;
using Google.Protobuf;
using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Testing;

/// <summary>
/// A tiny decoder-shaped language model built in code, with the graph interface ONNX Runtime GenAI and Optimum use
/// (<c>input_ids</c>, <c>attention_mask</c>, <c>past_key_values.0.key|value</c> in; <c>logits</c>,
/// <c>present.0.key|value</c> out) and a byte-level BPE tokenizer for it (GPT-2's <c>vocab.json</c> +
/// <c>merges.txt</c> layout): each of the 256 bytes is a token, plus one merge and an end-of-text token.
/// </summary>
/// <remarks>
/// logits = tanh(E[ids] · W1) · W2 with E [vocabulary, 32]: a bigram model. Untrained (random W2) its perplexity is
/// above the vocabulary's size; trained on texts, W2 is the ridge-regression fit of the texts' smoothed log bigram
/// probabilities, so it predicts like a (weak) language model and quantization noise raises its perplexity. The cache
/// outputs are the past concatenated with a key/value projection of the embeddings ([batch, 2 heads, past + sequence, 4]).
/// </remarks>
public static class CausalLmFactory
{
    public const int Width = 32, Heads = 2, HeadSize = 4;

    /// <summary>256 byte tokens, "Ġt" (space + t, the one merge) and &lt;|endoftext|&gt;.</summary>
    public const int Vocabulary = 258;

    /// <param name="seed">The random weights.</param>
    /// <param name="trainingTexts">Texts to fit the head to (see the remarks); null: a random head.</param>
    public static ModelProto Create(int seed = 5, IEnumerable<string>? trainingTexts = null)
    {
        var random = new Random(seed);
        float[] Values(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        float[] embedding = Values(Vocabulary * Width, 1), fc = Values(Width * Width, 0.5), head = Values(Width * Vocabulary, 0.6);
        if (trainingTexts is not null) head = FitHead(embedding, fc, trainingTexts);
        var graph = new GraphProto { Name = "tiny-lm" };
        graph.Input.Add(OnnxModelFactory.TensorValue("input_ids", DataType.Int64, "batch", "sequence"));
        graph.Input.Add(OnnxModelFactory.TensorValue("attention_mask", DataType.Int64, "batch", "total_sequence"));
        graph.Input.Add(OnnxModelFactory.TensorValue("past_key_values.0.key", DataType.Float, "batch", Heads, "past_sequence", HeadSize));
        graph.Input.Add(OnnxModelFactory.TensorValue("past_key_values.0.value", DataType.Float, "batch", Heads, "past_sequence", HeadSize));
        graph.Output.Add(OnnxModelFactory.TensorValue("logits", DataType.Float, "batch", "sequence", Vocabulary));
        graph.Output.Add(OnnxModelFactory.TensorValue("present.0.key", DataType.Float, "batch", Heads, "total_sequence", HeadSize));
        graph.Output.Add(OnnxModelFactory.TensorValue("present.0.value", DataType.Float, "batch", Heads, "total_sequence", HeadSize));
        graph.Initializer.Add([
            OnnxModelFactory.FloatTensor("embed.weight", embedding, Vocabulary, Width),
            OnnxModelFactory.FloatTensor("fc.weight", fc, Width, Width),
            OnnxModelFactory.FloatTensor("lm_head.weight", head, Width, Vocabulary),
            OnnxModelFactory.FloatTensor("k.weight", Values(Width * Heads * HeadSize, 0.3), Width, Heads * HeadSize),
            OnnxModelFactory.FloatTensor("v.weight", Values(Width * Heads * HeadSize, 0.3), Width, Heads * HeadSize),
            Int64s("kv.shape", [0, 0, Heads, HeadSize]),
        ]);
        graph.Node.Add(OnnxModelFactory.Node("Gather", "embed", ["embed.weight", "input_ids"], ["h0"]));
        graph.Node.Add(OnnxModelFactory.Node("MatMul", "fc", ["h0", "fc.weight"], ["h1"]));
        graph.Node.Add(OnnxModelFactory.Node("Tanh", "act", ["h1"], ["h2"]));
        graph.Node.Add(OnnxModelFactory.Node("MatMul", "lm_head", ["h2", "lm_head.weight"], ["logits"]));
        foreach (string part in new[] { "key", "value" })
        {
            string p = part[0].ToString();
            graph.Node.Add(OnnxModelFactory.Node("MatMul", $"{p}_proj", ["h0", $"{p}.weight"], [$"{p}0"]));
            graph.Node.Add(OnnxModelFactory.Node("Reshape", $"{p}_reshape", [$"{p}0", "kv.shape"], [$"{p}1"]));
            var transpose = OnnxModelFactory.Node("Transpose", $"{p}_transpose", [$"{p}1"], [$"{p}2"]);
            transpose.Attribute.Add(new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, 2, 1, 3 } });
            graph.Node.Add(transpose);
            var concat = OnnxModelFactory.Node("Concat", $"{p}_cache", [$"past_key_values.0.{part}", $"{p}2"], [$"present.0.{part}"]);
            concat.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 2 });
            graph.Node.Add(concat);
        }

        var model = new ModelProto { IrVersion = 8, ProducerName = "SlmOps.Testing", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    /// <summary>
    /// W2 [Width, Vocabulary] minimizing Σᵥ cᵥ‖Hᵥ·W2 − Tᵥ‖² + λ‖W2‖², where Hᵥ = tanh(Eᵥ·W1) is token v's hidden
    /// state, Tᵥ its row of log p(next | v) (bigram counts over the texts smoothed by 0.1), and cᵥ its count + 1, so
    /// that the fit serves the frequent tokens.
    /// </summary>
    private static float[] FitHead(float[] embedding, float[] fc, IEnumerable<string> texts)
    {
        var counts = new double[Vocabulary, Vocabulary];
        var weights = Enumerable.Repeat(1.0, Vocabulary).ToArray();
        foreach (string text in texts)
        {
            var ids = Encode(text);
            for (int i = 0; i + 1 < ids.Count; i++)
            {
                counts[ids[i], ids[i + 1]]++;
                weights[ids[i]]++;
            }
        }

        var hidden = new double[Vocabulary, Width];
        for (int v = 0; v < Vocabulary; v++)
        {
            for (int j = 0; j < Width; j++)
            {
                double sum = 0;
                for (int k = 0; k < Width; k++) sum += embedding[v * Width + k] * fc[k * Width + j];
                hidden[v, j] = Math.Tanh(sum);
            }
        }

        // Normal equations: (HᵀH + λI) W2 = HᵀT, solved by Gauss-Jordan elimination on [HᵀH + λI | HᵀT].
        var system = new double[Width, Width + Vocabulary];
        for (int a = 0; a < Width; a++)
        {
            for (int b = 0; b < Width; b++)
            {
                double sum = a == b ? 1e-3 : 0;
                for (int v = 0; v < Vocabulary; v++) sum += weights[v] * hidden[v, a] * hidden[v, b];
                system[a, b] = sum;
            }
        }

        for (int v = 0; v < Vocabulary; v++)
        {
            double total = 0;
            for (int n = 0; n < Vocabulary; n++) total += counts[v, n] + 0.1;
            for (int n = 0; n < Vocabulary; n++)
            {
                double target = Math.Log((counts[v, n] + 0.1) / total);
                for (int a = 0; a < Width; a++) system[a, Width + n] += weights[v] * hidden[v, a] * target;
            }
        }

        for (int pivot = 0; pivot < Width; pivot++)
        {
            double scale = system[pivot, pivot];
            for (int c = 0; c < Width + Vocabulary; c++) system[pivot, c] /= scale;
            for (int row = 0; row < Width; row++)
            {
                if (row == pivot) continue;
                double factor = system[row, pivot];
                for (int c = 0; c < Width + Vocabulary; c++) system[row, c] -= factor * system[pivot, c];
            }
        }

        var head = new float[Width * Vocabulary];
        for (int a = 0; a < Width; a++)
            for (int n = 0; n < Vocabulary; n++) head[a * Vocabulary + n] = (float)system[a, Width + n];
        return head;
    }

    /// <summary>Writes the model as <c>model.onnx</c> with <c>vocab.json</c> and <c>merges.txt</c> beside it; returns the model's path.</summary>
    public static string Write(string directory, ModelProto? model = null)
    {
        string path = OnnxModelFactory.Write(directory, "model.onnx", model ?? Create());
        WriteTokenizer(directory);
        return path;
    }

    /// <summary>GPT-2's byte-to-character table: printable bytes stand for themselves, the others map above U+0100.</summary>
    public static IReadOnlyList<char> ByteCharacters { get; } = MakeByteCharacters();

    /// <summary>The token id of each byte of <paramref name="text"/> in UTF-8, with the one merge applied (" t" → 256).</summary>
    public static List<long> Encode(string text)
    {
        var ids = new List<long>();
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)' ' && i + 1 < bytes.Length && bytes[i + 1] == (byte)'t')
            {
                ids.Add(256);
                i++;
            }
            else
            {
                ids.Add(bytes[i]);
            }
        }

        return ids;
    }

    public static void WriteTokenizer(string directory)
    {
        var vocabulary = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) vocabulary[ByteCharacters[b].ToString()] = b;
        vocabulary[$"{ByteCharacters[' ']}t"] = 256;
        vocabulary["<|endoftext|>"] = 257;
        File.WriteAllText(Path.Combine(directory, "vocab.json"), JsonSerializer.Serialize(vocabulary));
        File.WriteAllText(Path.Combine(directory, "merges.txt"), $"#version: 0.2\n{ByteCharacters[' ']} t\n");
    }

    private static List<char> MakeByteCharacters()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) table[b] = printable.Contains(b) ? (char)b : (char)next++;
        return [.. table];
    }

    private static TensorProto Int64s(string name, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.Add(values);
        return t;
    }
}
