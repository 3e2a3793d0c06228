// Semantic search with all-MiniLM-L6-v2, entirely local: SlmOps.Sdk quantized the model to int4 at build time, shipped
// it with its tokenizer, and generated the typed SemanticSearch.Models.MiniLm wrapper, which is a
// Microsoft.Extensions.AI IEmbeddingGenerator: this program only embeds texts and compares them.
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using SemanticSearch.Models;

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

using MiniLm model = await MiniLm.LoadAsync();
var manifest = model.Manifest!;
Console.WriteLine($"Model: {manifest.Precision} for {manifest.Target}, validated with ONNX Runtime {manifest.ValidatedWithOnnxRuntime}");

// Any code written against IEmbeddingGenerator works with the local model: tokenized, batched, mean-pooled, unit length.
IEmbeddingGenerator<string, Embedding<float>> embeddings = model;
var documentVectors = await embeddings.GenerateAsync(documents);
ReadOnlyMemory<float> queryVector = await embeddings.GenerateVectorAsync(query);

var ranked = documents
    .Select((document, i) => (Document: document, Score: TensorPrimitives.Dot(queryVector.Span, documentVectors[i].Vector.Span)))
    .OrderByDescending(r => r.Score)
    .ToList();

Console.WriteLine($"Query: {query}");
foreach (var (document, score) in ranked.Take(3))
{
    Console.WriteLine($"  {score:F4}  {document}");
}

Console.WriteLine($"Best match: {ranked[0].Document}");
