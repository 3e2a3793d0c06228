using Microsoft.Extensions.AI;
using SlmOps.Testing;

namespace SlmOps.Runtime.Tests;

/// <summary>The chat client over the test decoder with the test byte-level BPE tokenizer (258 tokens).</summary>
public sealed class SlmChatClientTests : IDisposable
{
    private static readonly DecoderOptions Shape = new(Vocabulary: CausalLmFactory.Vocabulary);
    private readonly TempDirectory _temp = new();
    private readonly SlmSession _session;
    private readonly SlmCausalLm _model;
    private readonly Microsoft.ML.Tokenizers.Tokenizer _tokenizer;

    public SlmChatClientTests()
    {
        string folder = _temp.Combine("TinyChat");
        string path = OnnxModelFactory.Write(folder, "model.onnx", DecoderFactory.Create(Shape));
        Directory.CreateDirectory(Path.Combine(folder, SlmTokenizer.FolderName));
        CausalLmFactory.WriteTokenizer(Path.Combine(folder, SlmTokenizer.FolderName));
        _tokenizer = SlmTokenizer.TryLoad(folder)!;
        _session = SlmSession.Open(path);
        _specs = SlmCausalLmTests.Specs(Shape);
        _model = new SlmCausalLm(_session, _specs.Inputs, _specs.Outputs);
    }

    private readonly (SlmTensorSpec[] Inputs, SlmTensorSpec[] Outputs) _specs;

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Tell me about tides.")];

    [Fact]
    public async Task A_reply_is_the_decoded_greedy_generation_of_the_templated_prompt_and_streaming_gives_the_same_text()
    {
        using var client = new SlmChatClient(_model, _tokenizer, "TinyChat");
        var options = new ChatOptions { MaxOutputTokens = 12 };

        ChatResponse response = await client.GetResponseAsync(Conversation, options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Conversation, options)) updates.Add(update);

        var prompt = _tokenizer.EncodeToIds(SlmChatOptions.ChatMl(Conversation));
        var expected = _tokenizer.Decode(_model.Generate(prompt, new SlmGenerationOptions { MaxNewTokens = 12, StopTokens = [257] }).ToList());
        Assert.Equal(expected, response.Text);
        Assert.Equal(response.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count > 2, "the reply streams in pieces");
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal((prompt.Count, 12L), (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nTell me about tides.<|im_end|>\n<|im_start|>assistant\n", SlmChatOptions.ChatMl(Conversation));
    }

    [Fact]
    public async Task A_stop_token_ends_the_reply_and_the_client_works_in_a_ChatClientBuilder_pipeline()
    {
        var prompt = _tokenizer.EncodeToIds(SlmChatOptions.ChatMl(Conversation));
        int first = _model.Generate(prompt, new SlmGenerationOptions { MaxNewTokens = 1 }).Single();
        using var stopping = new SlmChatClient(_model, _tokenizer, "TinyChat", new SlmChatOptions { StopTokens = [first] });
        using var client = new SlmChatClient(_model, _tokenizer, "TinyChat");
        IChatClient pipeline = new ChatClientBuilder(client).ConfigureOptions(o => o.MaxOutputTokens = 4).Build();

        var stopped = await stopping.GetResponseAsync(Conversation);
        var piped = await pipeline.GetResponseAsync(Conversation);

        Assert.Equal(("", ChatFinishReason.Stop), (stopped.Text, stopped.FinishReason));
        Assert.Equal(4, piped.Usage!.OutputTokenCount);
        Assert.Equal("TinyChat", pipeline.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task A_reply_cut_by_the_models_context_length_finishes_for_length()
    {
        int prompt = _tokenizer.EncodeToIds(SlmChatOptions.ChatMl(Conversation)).Count;
        var bounded = new SlmCausalLm(_session, _specs.Inputs, _specs.Outputs, contextLength: prompt + 3);
        using var client = new SlmChatClient(bounded, _tokenizer, "TinyChat");

        var response = await client.GetResponseAsync(Conversation);

        Assert.Equal((3L, ChatFinishReason.Length), (response.Usage!.OutputTokenCount!.Value, response.FinishReason));
    }
}
