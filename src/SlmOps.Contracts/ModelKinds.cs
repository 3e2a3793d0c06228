namespace SlmOps.Contracts
{
    /// <summary>The model kinds the SDK knows (the <c>Kind</c> metadata); <c>auto</c> is resolved from the graph.</summary>
    public static class ModelKinds
    {
        public const string Auto = "auto";
        public const string Generic = "generic";
        public const string Embedding = "embedding";
        public const string CausalLm = "causal-lm";

        public static bool IsKnown(string kind) => kind is Auto or Generic or Embedding or CausalLm;
    }
}
