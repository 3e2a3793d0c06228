using System.CodeDom.Compiler;
using System.Linq;
using SlmOps.Contracts;
using SlmOps.Generators.Model;
using static SlmOps.Generators.CSharpText;

namespace SlmOps.Generators
{
    /// <summary>
    /// The embedding facade: a wrapper of an embedding model that a text encoder drives (inputs among
    /// <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>, [batch, sequence] int64 or int32, and a float
    /// output to pool) implements Microsoft.Extensions.AI's <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>
    /// through the runtime's <c>SlmEmbeddingGenerator</c>, with the tokenizer the SDK ships beside the model.
    /// </summary>
    internal static class EmbeddingMembers
    {
        private const string Ai = "global::Microsoft.Extensions.AI.";

        public const string Interface = Ai + "IEmbeddingGenerator<string, " + Ai + "Embedding<float>>";

        private static readonly string[] TokenInputs = { "input_ids", "attention_mask", "token_type_ids" };

        /// <summary>Whether <paramref name="model"/> gets the facade: its kind, and inputs and outputs the runtime's generator can drive.</summary>
        public static bool Applies(ModelSpec model) =>
            model.Kind == ModelKinds.Embedding
            && model.Inputs.Any(t => t.OnnxName == "input_ids")
            && model.Inputs.All(t => TokenInputs.Contains(t.OnnxName) && t.Shape.Count == 2 && (t.ClrType == "long" || t.ClrType == "int"))
            && model.Outputs.Any(t => t.ClrType == "float" && (t.Shape.Count == 3 || t.Shape.Count == 2));

        public static void Write(IndentedTextWriter w, ModelSpec model, string self)
        {
            w.WriteLine($"private {Runtime}SlmEmbeddingGenerator? _slmEmbeddings;");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>");
            w.WriteLine("/// An embedding generator over this instance's session: texts are tokenized, batched with padding, run, mean-pooled");
            w.WriteLine("/// over the attention mask and scaled to unit length. Several may share the session, with their own tokenizers or options.");
            w.WriteLine("/// </summary>");
            w.WriteLine("/// <param name=\"tokenizer\">Makes the token ids; <see langword=\"null\"/>: the one the SDK ships in <c>tokenizer/</c> beside the model.</param>");
            w.WriteLine("/// <param name=\"options\">Token limit, batch size, normalization; <see langword=\"null\"/> for the defaults.</param>");
            w.WriteLine("/// <exception cref=\"global::System.InvalidOperationException\">No tokenizer is given and none is beside the model.</exception>");
            w.WriteLine($"public {Runtime}SlmEmbeddingGenerator AsEmbeddingGenerator(global::Microsoft.ML.Tokenizers.Tokenizer? tokenizer = null, {Runtime}SlmEmbeddingOptions? options = null)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine($"tokenizer ??= {Runtime}SlmTokenizer.Load(global::System.IO.Path.GetDirectoryName(_slmSession.ModelPath)!, ModelName);");
            w.WriteLine($"return new {Runtime}SlmEmbeddingGenerator(_slmSession, s_slmInputSpecs, s_slmOutputSpecs, tokenizer, ModelName, options);");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>Embeds texts with <see cref=\"AsEmbeddingGenerator\"/>'s defaults: one unit-length embedding per text, in order.</summary>");
            w.WriteLine("/// <param name=\"values\">The texts.</param>");
            w.WriteLine("/// <param name=\"options\">Microsoft.Extensions.AI's options (the model decides the dimensions).</param>");
            w.WriteLine("/// <param name=\"cancellationToken\">Cancels between batches.</param>");
            w.WriteLine($"public global::System.Threading.Tasks.Task<{Ai}GeneratedEmbeddings<{Ai}Embedding<float>>> GenerateAsync(global::System.Collections.Generic.IEnumerable<string> values, {Ai}EmbeddingGenerationOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
            w.WriteLine("{");
            w.WriteLine("    return Embeddings.GenerateAsync(values, options, cancellationToken);");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            CSharpText.WriteGetService(w, "Embeddings");
            w.WriteLine($"private {Runtime}SlmEmbeddingGenerator Embeddings =>");
            w.WriteLine("    global::System.Threading.LazyInitializer.EnsureInitialized(ref _slmEmbeddings, () => AsEmbeddingGenerator());");
            w.WriteLineNoTabs(string.Empty);
        }
    }
}
