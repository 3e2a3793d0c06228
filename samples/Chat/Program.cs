// A local chat: SlmOps.Sdk validated the causal LM at build time, shipped it with its tokenizer, and generated the
// Chat.Models.ChatModel wrapper, which is a Microsoft.Extensions.AI IChatClient (KV cache, sampling, streaming).
using Microsoft.Extensions.AI;
using Chat.Models;

string question = args.Length > 0 ? string.Join(' ', args) : "What is a small language model?";

using var model = await ChatModel.LoadAsync();
IChatClient chat = model;
var manifest = model.Manifest!;
Console.WriteLine($"Model: {manifest.Name} ({manifest.Precision}, {manifest.Target}), {model.CausalLm.Layers} layers, {model.CausalLm.KeyValueHeads} KV heads");

List<ChatMessage> conversation = [new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, question)];
var options = new ChatOptions { MaxOutputTokens = 48, Temperature = 0.8f, TopP = 0.95f, Seed = 1 };

Console.WriteLine($"User: {question}");
Console.Write("Assistant: ");
ChatFinishReason? finish = null;
await foreach (ChatResponseUpdate update in chat.GetStreamingResponseAsync(conversation, options))
{
    Console.Write(update.Text);
    finish = update.FinishReason ?? finish;
}

Console.WriteLine();
Console.WriteLine($"({finish})");
