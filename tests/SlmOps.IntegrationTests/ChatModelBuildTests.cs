using SlmOps.Testing;

namespace SlmOps.IntegrationTests;

/// <summary>
/// A causal LM through the whole SDK path: a decoder in the ONNX Runtime GenAI layout with a BPE tokenizer beside it
/// builds into a wrapper that is an <c>IChatClient</c>, answers with the tokenizer the SDK shipped, and streams.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class ChatModelBuildTests(SdkPackageFixture sdk)
{
    [Fact]
    public void A_decoder_builds_into_an_IChatClient_wrapper_that_answers_and_streams_with_the_shipped_tokenizer()
    {
        using var project = new TestProject(sdk);
        string models = project.Path("models");
        OnnxModelFactory.Write(models, "tiny-chat.onnx", DecoderFactory.Create(new DecoderOptions(Vocabulary: CausalLmFactory.Vocabulary)));
        CausalLmFactory.WriteTokenizer(models);
        File.WriteAllText(Path.Combine(models, "genai_config.json"), """{ "model": { "eos_token_id": [257], "context_length": 256, "type": "tiny" } }""");
        // The same decoder quantized by our own int4 quantizer (ValidationMode warn: a random model's drift says nothing).
        project.WriteProject("""
            <SlmModel Include="models/tiny-chat.onnx" Name="TinyChat" />
            <SlmModel Include="models/tiny-chat.onnx" Name="TinyChatInt4" Precision="int4" BlockSize="16" ValidationMode="warn" />
            """);
        project.WriteProgram("""
            using Microsoft.Extensions.AI;
            using App.Models;

            using var model = await TinyChat.LoadAsync();
            IChatClient chat = model;
            ChatMessage[] conversation = [new(ChatRole.User, "Hello there")];
            var options = new ChatOptions { MaxOutputTokens = 8 };
            ChatResponse response = await chat.GetResponseAsync(conversation, options);
            string streamed = "";
            await foreach (var update in chat.GetStreamingResponseAsync(conversation, options)) streamed += update.Text;
            Console.WriteLine($"tokens={response.Usage!.OutputTokenCount} finish={response.FinishReason} same={streamed == response.Text}");
            Console.WriteLine($"layers={model.CausalLm.Layers} kv={model.CausalLm.KeyValueHeads} head={model.CausalLm.HeadSize} context={model.CausalLm.ContextLength} eos={string.Join(",", model.GenAiConfig!.EndOfSequenceTokenIds)}");
            Console.WriteLine($"generated={string.Join(",", model.Generate([72, 105], new SlmOps.Runtime.SlmGenerationOptions { MaxNewTokens = 3 }))}");
            using var int4 = TinyChatInt4.Load();
            var quantized = await ((IChatClient)int4).GetResponseAsync(conversation, options);
            Console.WriteLine($"int4 tokens={quantized.Usage!.OutputTokenCount} precision={int4.Manifest!.Precision}");
            """);

        var build = project.Build();
        build.AssertSuccess();
        var run = project.Dotnet(Path.Combine(project.OutputDirectory, "App.dll")).AssertSuccess();

        Assert.Contains("SlmOps: TinyChat (linux-x64): fp32, ", build.Output);
        Assert.True(File.Exists(Path.Combine(project.OutputDirectory, "models", "TinyChat", "tokenizer", "vocab.json")));
        Assert.True(File.Exists(Path.Combine(project.OutputDirectory, "models", "TinyChat", "tokenizer", "merges.txt")));
        Assert.Contains("tokens=8 finish=length same=True", run.Output);
        Assert.Contains("layers=2 kv=2 head=8 context=256 eos=257", run.Output);
        Assert.True(File.Exists(Path.Combine(project.OutputDirectory, "models", "TinyChat", "genai_config.json")));
        Assert.Matches(@"generated=\d+,\d+,\d+", run.Output);
        Assert.Contains("int4 tokens=8 precision=int4", run.Output);
    }
}
