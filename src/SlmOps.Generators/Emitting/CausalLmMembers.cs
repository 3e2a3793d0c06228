using System.CodeDom.Compiler;
using System.Linq;
using SlmOps.Contracts;
using SlmOps.Generators.Model;
using static SlmOps.Generators.CSharpText;

namespace SlmOps.Generators
{
    /// <summary>
    /// The chat facade: a wrapper of a causal LM in the ONNX Runtime GenAI / Optimum layout (an int64 <c>input_ids</c>,
    /// <c>past_key_values.0.key</c>, a float <c>logits</c>) implements Microsoft.Extensions.AI's <c>IChatClient</c>
    /// through the runtime's <c>SlmChatClient</c> over <c>SlmCausalLm</c>, with the tokenizer the SDK ships beside
    /// the model, and exposes the token-level <c>Generate</c>. The runtime checks the rest of the layout.
    /// </summary>
    internal static class CausalLmMembers
    {
        private const string Ai = "global::Microsoft.Extensions.AI.";

        public const string Interface = Ai + "IChatClient";

        public static bool Applies(ModelSpec model) =>
            model.Kind == ModelKinds.CausalLm
            && model.Inputs.Any(t => t.OnnxName == "input_ids" && t.ClrType == "long" && t.Shape.Count == 2)
            && model.Inputs.Any(t => t.OnnxName == "past_key_values.0.key" && t.Shape.Count == 4)
            && model.Outputs.Any(t => t.OnnxName == "logits" && t.ClrType == "float" && t.Shape.Count == 3);

        public static void Write(IndentedTextWriter w)
        {
            w.WriteLine($"private {Runtime}SlmCausalLm? _slmCausalLm;");
            w.WriteLine($"private {Runtime}SlmChatClient? _slmChat;");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>The generation loop over this instance's session (KV cache, sampling, stop tokens); its layout comes from the model.</summary>");
            w.WriteLine("/// <exception cref=\"global::System.ArgumentException\">The model's inputs and outputs are not in the ONNX Runtime GenAI / Optimum layout.</exception>");
            w.WriteLine($"public {Runtime}SlmCausalLm CausalLm =>");
            w.WriteLine($"    global::System.Threading.LazyInitializer.EnsureInitialized(ref _slmCausalLm, () => new {Runtime}SlmCausalLm(_slmSession, s_slmInputSpecs, s_slmOutputSpecs, GenAiConfig?.ContextLength));");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>The model's genai_config.json (end-of-sequence tokens, context length), which the SDK ships beside it when the model has one; <see langword=\"null\"/> otherwise.</summary>");
            w.WriteLine($"public {Runtime}SlmGenAiConfig? GenAiConfig => {Runtime}SlmGenAiConfig.TryRead(global::System.IO.Path.GetDirectoryName(_slmSession.ModelPath)!);");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>Generates token ids after <paramref name=\"prompt\"/>, each as soon as it is chosen.</summary>");
            w.WriteLine("/// <param name=\"prompt\">The prompt's token ids.</param>");
            w.WriteLine("/// <param name=\"options\">Sampling, stop tokens, limits; <see langword=\"null\"/>: greedy, 128 tokens at most.</param>");
            w.WriteLine("/// <param name=\"cancellationToken\">Cancels between tokens.</param>");
            w.WriteLine($"public global::System.Collections.Generic.IEnumerable<int> Generate(global::System.Collections.Generic.IReadOnlyList<int> prompt, {Runtime}SlmGenerationOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
            w.WriteLine("{");
            w.WriteLine("    return CausalLm.Generate(prompt, options, cancellationToken);");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>A chat client over this instance's session, with its own tokenizer or chat options.</summary>");
            w.WriteLine("/// <param name=\"tokenizer\">Tokenizes prompts and decodes replies; <see langword=\"null\"/>: the one the SDK ships in <c>tokenizer/</c> beside the model.</param>");
            w.WriteLine("/// <param name=\"options\">Chat template, stop tokens, default generation settings; <see langword=\"null\"/>: ChatML, greedy, genai_config.json's end-of-sequence tokens.</param>");
            w.WriteLine("/// <exception cref=\"global::System.InvalidOperationException\">No tokenizer is given and none is beside the model.</exception>");
            w.WriteLine($"public {Runtime}SlmChatClient AsChatClient(global::Microsoft.ML.Tokenizers.Tokenizer? tokenizer = null, {Runtime}SlmChatOptions? options = null)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine($"tokenizer ??= {Runtime}SlmTokenizer.Load(global::System.IO.Path.GetDirectoryName(_slmSession.ModelPath)!, ModelName);");
            w.WriteLine($"options ??= new {Runtime}SlmChatOptions {{ StopTokens = GenAiConfig?.EndOfSequenceTokenIds ?? global::System.Array.Empty<int>() }};");
            w.WriteLine($"return new {Runtime}SlmChatClient(CausalLm, tokenizer, ModelName, options);");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>Answers the conversation with <see cref=\"AsChatClient\"/>'s defaults.</summary>");
            w.WriteLine($"public global::System.Threading.Tasks.Task<{Ai}ChatResponse> GetResponseAsync(global::System.Collections.Generic.IEnumerable<{Ai}ChatMessage> messages, {Ai}ChatOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
            w.WriteLine("{");
            w.WriteLine("    return Chat.GetResponseAsync(messages, options, cancellationToken);");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>Answers the conversation piece by piece, as the tokens are chosen.</summary>");
            w.WriteLine($"public global::System.Collections.Generic.IAsyncEnumerable<{Ai}ChatResponseUpdate> GetStreamingResponseAsync(global::System.Collections.Generic.IEnumerable<{Ai}ChatMessage> messages, {Ai}ChatOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
            w.WriteLine("{");
            w.WriteLine("    return Chat.GetStreamingResponseAsync(messages, options, cancellationToken);");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            CSharpText.WriteGetService(w, "Chat");
            w.WriteLine($"private {Runtime}SlmChatClient Chat =>");
            w.WriteLine("    global::System.Threading.LazyInitializer.EnsureInitialized(ref _slmChat, () => AsChatClient());");
            w.WriteLineNoTabs(string.Empty);
        }
    }
}
