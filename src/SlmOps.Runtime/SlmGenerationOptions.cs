namespace SlmOps.Runtime;

/// <summary>How <see cref="SlmCausalLm.Generate"/> picks tokens and when it stops.</summary>
public sealed record SlmGenerationOptions
{
    /// <summary>New tokens at most.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>0 (the default): greedy, the most likely token every step; above 0: sampling at that temperature.</summary>
    public float Temperature { get; init; }

    /// <summary>Sampling: only the <c>TopK</c> most likely tokens; 0: all.</summary>
    public int TopK { get; init; }

    /// <summary>Sampling: only the most likely tokens whose probabilities add up to <c>TopP</c>; 1: all.</summary>
    public float TopP { get; init; } = 1;

    /// <summary>Sampling: the random seed, for repeatable output; null: a new one per call.</summary>
    public int? Seed { get; init; }

    /// <summary>Above 1: tokens already in the prompt or the output get less likely (a positive logit divided by it, a negative one multiplied).</summary>
    public float RepetitionPenalty { get; init; } = 1;

    /// <summary>Token ids that end the generation (they are not returned), such as the model's end-of-text token.</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];

    /// <summary>The context length: prompt plus output at most; null: the model's own (<see cref="SlmCausalLm.ContextLength"/>, from genai_config.json), else unlimited.</summary>
    public int? ContextLength { get; init; }
}
