using System;
using System.Collections.Generic;

namespace SlmOps
{
    /// <summary>
    /// One <c>SlmModel</c> metadata that the worker receives in a model's <c>settings</c>: its name on the item, its key
    /// in the request, and which precisions read it (the SDK warns, SLM1011, when the item's precision does not).
    /// </summary>
    internal sealed class ModelSetting
    {
        private ModelSetting(string metadata, bool onlyWhenRewritten, string[] precisions, bool validates = false, bool records = false)
        {
            Metadata = metadata;
            Validates = validates;
            Records = records;
            Key = char.ToLowerInvariant(metadata[0]) + metadata.Substring(1);
            OnlyWhenRewritten = onlyWhenRewritten;
            Precisions = precisions;
        }

        /// <summary>The metadata name on the item, e.g. <c>BlockSize</c>.</summary>
        public string Metadata { get; }

        /// <summary>The key in the request's <c>settings</c>, e.g. <c>blockSize</c>.</summary>
        public string Key { get; }

        /// <summary>The precisions that read the setting; empty: every precision.</summary>
        public IReadOnlyList<string> Precisions { get; }

        /// <summary>Read only when weights are rewritten: a precision other than fp32, or fp32 with pruning.</summary>
        public bool OnlyWhenRewritten { get; }

        /// <summary>
        /// A validation setting (mode, gates): it changes how the variant is judged, not its bytes, so changing it
        /// validates the variant again without making it again.
        /// </summary>
        public bool Validates { get; }

        /// <summary>
        /// Recorded in the manifest only (the model's version, its rollout channel): it neither makes nor judges the
        /// variant, so changing it writes the manifest again without making the variant again.
        /// </summary>
        public bool Records { get; }

        /// <summary>A setting every precision reads.</summary>
        public static ModelSetting Any(string metadata) => new ModelSetting(metadata, false, Array.Empty<string>());

        /// <summary>A setting only <paramref name="precisions"/> read.</summary>
        public static ModelSetting For(string metadata, params string[] precisions) => new ModelSetting(metadata, false, precisions);

        /// <summary>A setting every precision reads that rewrites weights (layer selection).</summary>
        public static ModelSetting WhenRewritten(string metadata) => new ModelSetting(metadata, true, Array.Empty<string>());

        /// <summary>A validation setting every precision reads.</summary>
        public static ModelSetting Validation(string metadata) => new ModelSetting(metadata, false, Array.Empty<string>(), validates: true);

        /// <summary>A setting the manifest records and nothing reads (<see cref="Records"/>).</summary>
        public static ModelSetting Record(string metadata) => new ModelSetting(metadata, false, Array.Empty<string>(), records: true);

        /// <summary>A drift gate, which only a rewritten variant is held to (a copy is the original).</summary>
        public static ModelSetting Gate(string metadata) => new ModelSetting(metadata, true, Array.Empty<string>(), validates: true);

        public override string ToString() => Metadata;
    }

    /// <summary>
    /// Every <c>SlmModel</c> setting the worker reads (docs/item-metadata.md). Adding one here is all the protocol needs:
    /// the tasks pass every setting listed here, the worker refuses keys not listed here, and a round-trip test checks
    /// each. The worker's reading of the value (<c>QuantizeSettings.ToOptions</c>) is what gives it an effect.
    /// </summary>
    internal static class ModelSettings
    {
        private static readonly string[] BlockWise = { "int4", "int8-weight", "auto" };

        public static readonly ModelSetting Precision = ModelSetting.Any("Precision");
        public static readonly ModelSetting BlockSize = ModelSetting.For("BlockSize", BlockWise);
        public static readonly ModelSetting Symmetric = ModelSetting.For("Symmetric", BlockWise);
        public static readonly ModelSetting AccuracyLevel = ModelSetting.For("AccuracyLevel", BlockWise);
        public static readonly ModelSetting Int8Format = ModelSetting.For("Int8Format", "int8");
        public static readonly ModelSetting Int8Weights = ModelSetting.For("Int8Weights", "int8");
        public static readonly ModelSetting QuantizeInclude = ModelSetting.WhenRewritten("QuantizeInclude");
        public static readonly ModelSetting QuantizeExclude = ModelSetting.WhenRewritten("QuantizeExclude");
        public static readonly ModelSetting QuantizeMinElements = ModelSetting.WhenRewritten("QuantizeMinElements");
        public static readonly ModelSetting Prune = ModelSetting.Any("Prune");
        public static readonly ModelSetting CalibrationRanges = ModelSetting.For("CalibrationRanges", "qdq");
        public static readonly ModelSetting ActivationType = ModelSetting.For("ActivationType", "qdq");
        public static readonly ModelSetting QdqWeights = ModelSetting.For("QdqWeights", "qdq");
        public static readonly ModelSetting QuantizeEmbeddings = ModelSetting.For("QuantizeEmbeddings", BlockWise);
        public static readonly ModelSetting ScaleSearch = ModelSetting.For("ScaleSearch", BlockWise);
        public static readonly ModelSetting Int8Layers = ModelSetting.For("Int8Layers", "int4");
        public static readonly ModelSetting AllowHardLinks = ModelSetting.Any("AllowHardLinks");
        public static readonly ModelSetting ValidationMode = ModelSetting.Validation("ValidationMode");
        public static readonly ModelSetting SampleData = ModelSetting.Validation("SampleData");
        public static readonly ModelSetting Tokenizer = ModelSetting.Validation("Tokenizer");
        public static readonly ModelSetting MaxModelSize = ModelSetting.Validation("MaxModelSize");
        public static readonly ModelSetting MaxLoadTime = ModelSetting.Validation("MaxLoadTime");
        public static readonly ModelSetting MaxLatency = ModelSetting.Validation("MaxLatency");
        public static readonly ModelSetting MaxMemory = ModelSetting.Validation("MaxMemory");
        public static readonly ModelSetting MinCosine = ModelSetting.Gate("MinCosine");
        public static readonly ModelSetting MaxRelativeError = ModelSetting.Gate("MaxRelativeError");
        public static readonly ModelSetting MinTop1Agreement = ModelSetting.Gate("MinTop1Agreement");
        public static readonly ModelSetting MaxPerplexityIncrease = ModelSetting.Gate("MaxPerplexityIncrease");
        public static readonly ModelSetting Version = ModelSetting.Record("Version");
        public static readonly ModelSetting Channel = ModelSetting.Record("Channel");
        public static readonly ModelSetting MinAppVersion = ModelSetting.Record("MinAppVersion");

        /// <summary>In request order.</summary>
        public static readonly IReadOnlyList<ModelSetting> All = new[]
        {
            Precision, BlockSize, Symmetric, AccuracyLevel, Int8Format, Int8Weights, QuantizeInclude, QuantizeExclude,
            QuantizeMinElements, Prune, CalibrationRanges, ActivationType, QdqWeights, QuantizeEmbeddings, ScaleSearch,
            Int8Layers, AllowHardLinks, ValidationMode, SampleData, Tokenizer, MinCosine, MaxRelativeError, MinTop1Agreement,
            MaxPerplexityIncrease, MaxModelSize, MaxLoadTime, MaxLatency, MaxMemory, Version, Channel, MinAppVersion,
        };

        /// <summary>The drift gates, named as <c>ValidationGates</c> and <c>slmops validate --gate</c> name them.</summary>
        public static readonly IReadOnlyList<ModelSetting> Gates = new[] { MinCosine, MaxRelativeError, MinTop1Agreement, MaxPerplexityIncrease };

        /// <summary>The setting with request key <paramref name="key"/>, or null.</summary>
        public static ModelSetting? ByKey(string key)
        {
            foreach (ModelSetting setting in All)
            {
                if (string.Equals(setting.Key, key, StringComparison.Ordinal)) return setting;
            }

            return null;
        }
    }
}
