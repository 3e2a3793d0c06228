// Semantic search with all-MiniLM-L6-v2, entirely local: SlmOps.Sdk quantized the model to int4 at build time and
// generated the typed SemanticSearch.Models.MiniLm wrapper from it; this program only tokenizes, runs and compares.
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using SemanticSearch.Models;
using SlmOps.Runtime;

string[] documents =
[
    "The cat sat on the warm windowsill all afternoon.",
    "Charge your laptop battery between 20 and 80 percent to make it last longer.",
    "Preheat the oven to 220 degrees before baking the bread.",
    "The central bank raised interest rates by a quarter point.",
    "Regular stretching reduces muscle stiffness after running.",
    "A quantized model uses less memory on edge devices.",
    "Tides are caused mainly by the gravitational pull of the moon.",
    "Use a password manager and turn on two-factor authentication.",
    "The museum opens at nine and closes at five on weekdays.",
    "Water the tomato plants early in the morning during hot weeks.",
    "The goalkeeper saved a penalty in the final minute.",
    "Git rebase rewrites commits on top of another branch.",
];

string query = args.Length > 0 ? string.Join(' ', args) : "How do I keep my notebook's battery healthy?";

var tokenizer = BertTokenizer.Create(
    Path.Combine(AppContext.BaseDirectory, "vocab.txt"),
    new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });

using MiniLm model = MiniLm.Load();
using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "models", "MiniLm", "manifest.json"))))
{
    var root = manifest.RootElement;
    long source = root.GetProperty("source").GetProperty("size").GetInt64();
    long variant = root.GetProperty("files").EnumerateArray().Sum(f => f.GetProperty("size").GetInt64());
    Console.WriteLine($"Model: {root.GetProperty("precision").GetString()} for {root.GetProperty("target").GetString()}, {variant / 1e6:F1} MB (fp32 source {source / 1e6:F1} MB)");
}

float[] queryEmbedding = Embed(query);
var ranked = documents
    .Select(d => (Document: d, Score: Cosine(queryEmbedding, Embed(d))))
    .OrderByDescending(r => r.Score)
    .ToList();

Console.WriteLine($"Query: {query}");
foreach (var (document, score) in ranked.Take(3))
{
    Console.WriteLine($"  {score:F4}  {document}");
}

Console.WriteLine($"Best match: {ranked[0].Document}");

// Tokens -> last_hidden_state [1, n, 384] -> mean over tokens -> unit length.
float[] Embed(string text)
{
    long[] ids = tokenizer.EncodeToIds(text).Select(id => (long)id).ToArray();
    long n = ids.Length;
    // token_type_ids is left out: the wrapper passes zeros (one segment), what a single text needs.
    MiniLm.Output output = model.Run(
        SlmTensor<long>.Create(ids, 1, n),
        SlmTensor<long>.Create(Enumerable.Repeat(1L, ids.Length).ToArray(), 1, n));

    SlmTensor<float> hidden = output.LastHiddenState;
    int width = (int)hidden.Shape[2];
    var pooled = new float[width];
    for (long t = 0; t < n; t++)
    {
        for (int i = 0; i < width; i++)
        {
            pooled[i] += hidden[0, t, i] / n;
        }
    }

    float norm = MathF.Sqrt(pooled.Sum(v => v * v));
    return pooled.Select(v => v / norm).ToArray();
}

static float Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();
