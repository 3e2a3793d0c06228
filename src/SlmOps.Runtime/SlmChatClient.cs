using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace SlmOps.Runtime;

/// <summary>How <see cref="SlmChatClient"/> turns a conversation into a prompt and the model's tokens into a reply.</summary>
public sealed record SlmChatOptions
{
    /// <summary>
    /// Renders the conversation as the prompt text, ending where the assistant's reply begins; null: ChatML
    /// (<c>&lt;|im_start|&gt;role\ntext&lt;|im_end|&gt;\n</c> per message, then <c>&lt;|im_start|&gt;assistant\n</c>), which
    /// Qwen, Phi-3.5 and many small chat models use. Give the template the model was trained with.
    /// </summary>
    public Func<IEnumerable<ChatMessage>, string>? Template { get; init; }

    /// <summary>Token ids that end a reply, besides the tokenizer's end-of-sentence token.</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];

    /// <summary>The generation settings when a request's <see cref="ChatOptions"/> leaves them out.</summary>
    public SlmGenerationOptions Generation { get; init; } = new();

    /// <summary>The ChatML rendering <see cref="Template"/> defaults to.</summary>
    public static string ChatMl(IEnumerable<ChatMessage> messages)
    {
        var prompt = new StringBuilder();
        foreach (ChatMessage message in messages)
            prompt.Append("<|im_start|>").Append(message.Role.Value).Append('\n').Append(message.Text).Append("<|im_end|>\n");
        return prompt.Append("<|im_start|>assistant\n").ToString();
    }
}

/// <summary>
/// A Microsoft.Extensions.AI <see cref="IChatClient"/> over a local causal language model (<see cref="SlmCausalLm"/>):
/// the conversation is rendered with the chat template, tokenized, generated from with the KV cache, and decoded;
/// streaming yields the text as tokens are chosen. Generated wrappers of causal LMs implement the interface with one.
/// </summary>
/// <remarks>Requests may run at once from several threads; each generation has its own cache. The session belongs to the caller.</remarks>
public sealed class SlmChatClient : IChatClient
{
    private readonly SlmCausalLm _model;
    private readonly Tokenizer _tokenizer;
    private readonly SlmChatOptions _options;
    private readonly int[] _stops;

    /// <summary>Makes a chat client over a model's generation loop.</summary>
    /// <param name="model">The generation loop.</param>
    /// <param name="tokenizer">Tokenizes the prompt and decodes the reply.</param>
    /// <param name="modelId">The model's name, for <see cref="ChatClientMetadata"/>.</param>
    /// <param name="options">Template, stop tokens, default generation settings; null: ChatML and greedy decoding.</param>
    public SlmChatClient(SlmCausalLm model, Tokenizer tokenizer, string modelId, SlmChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _model = model;
        _tokenizer = tokenizer;
        _options = options ?? new SlmChatOptions();
        int? endOfSentence = (tokenizer as CodeGenTokenizer)?.EndOfSentenceId;
        _stops = [.. _options.StopTokens, .. _options.Generation.StopTokens, .. endOfSentence is int eos ? new[] { eos } : []];
        Metadata = new ChatClientMetadata("SlmOps", null, modelId);
    }

    /// <summary>The provider (SlmOps) and the model's name.</summary>
    public ChatClientMetadata Metadata { get; }

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        await foreach (ChatResponseUpdate update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            finish = update.FinishReason ?? finish;
            if (update.Contents.OfType<UsageContent>().FirstOrDefault() is { } content) usage = content.Details;
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            FinishReason = finish,
            ModelId = Metadata.DefaultModelId,
            Usage = usage,
        };
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string prompt = (_options.Template ?? SlmChatOptions.ChatMl)(messages);
        IReadOnlyList<int> ids = _tokenizer.EncodeToIds(prompt);
        SlmGenerationOptions generation = Merge(options);
        string responseId = Guid.NewGuid().ToString("N");
        var produced = new List<int>();
        string emitted = "";
        // The loop runs on a thread-pool thread and hands each token over as soon as it is chosen; a reader that stops
        // early (or is cancelled) stops it.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = System.Threading.Channels.Channel.CreateUnbounded<int>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() =>
        {
            try
            {
                foreach (int token in _model.Generate(ids, generation, stop.Token)) channel.Writer.TryWrite(token);
                channel.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        try
        {
            await foreach (int token in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                produced.Add(token);
                // Decoded whole each time, so that a character split across tokens comes out once it is complete.
                string text = _tokenizer.Decode(produced) ?? "";
                if (text.EndsWith('\uFFFD') || text.Length <= emitted.Length) continue;
                string delta = text[emitted.Length..];
                emitted = text;
                yield return new ChatResponseUpdate(ChatRole.Assistant, delta) { ResponseId = responseId, ModelId = Metadata.DefaultModelId };
            }
        }
        finally
        {
            stop.Cancel();
            await producer.ConfigureAwait(false);
        }

        string final = _tokenizer.Decode(produced) ?? "";
        bool cut = produced.Count >= generation.MaxNewTokens || ((generation.ContextLength ?? _model.ContextLength) is int context && ids.Count + produced.Count >= context);
        yield return new ChatResponseUpdate(ChatRole.Assistant, final.Length > emitted.Length ? final[emitted.Length..] : "")
        {
            ResponseId = responseId,
            ModelId = Metadata.DefaultModelId,
            FinishReason = cut ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Contents = { new UsageContent(new UsageDetails { InputTokenCount = ids.Count, OutputTokenCount = produced.Count, TotalTokenCount = ids.Count + produced.Count }) },
        };
    }

    /// <summary>The request's settings over the client's defaults.</summary>
    private SlmGenerationOptions Merge(ChatOptions? options)
    {
        SlmGenerationOptions defaults = _options.Generation;
        if (options is null) return defaults with { StopTokens = _stops };
        return defaults with
        {
            MaxNewTokens = options.MaxOutputTokens ?? defaults.MaxNewTokens,
            Temperature = options.Temperature ?? defaults.Temperature,
            TopP = options.TopP ?? defaults.TopP,
            TopK = options.TopK ?? defaults.TopK,
            Seed = options.Seed is long seed ? unchecked((int)seed) : defaults.Seed,
            StopTokens = _stops,
        };
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return Metadata;
        if (serviceType == typeof(Tokenizer)) return _tokenizer;
        if (serviceType == typeof(SlmCausalLm)) return _model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Nothing to release: the session belongs to whoever opened it.</summary>
    public void Dispose()
    {
    }
}
