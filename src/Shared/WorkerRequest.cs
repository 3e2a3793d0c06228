using System.Collections.Generic;
using System.Text;

namespace SlmOps
{
    /// <summary>
    /// The request file the SlmOpsRunWorker task writes and <c>slmops prepare</c> reads (docs/design.md, "The worker
    /// protocol"): its property names, and the writer. The reader is the worker's (<c>PrepareRequest</c>), which has a
    /// JSON library; the tasks load nothing but MSBuild, so they write the few shapes below by hand.
    /// </summary>
    internal sealed class WorkerRequest
    {
        public const string DesignTimeKey = "designTime";
        public const string ProgressIntervalKey = "progressInterval";
        public const string ModelsKey = "models";
        public const string ReportKey = "report";
        public const string ReportDirectoryKey = "directory";
        public const string ReportManifestsKey = "manifests";

        public bool DesignTime { get; set; }

        /// <summary>Seconds between "still running" lines, as text (<c>$(SlmOpsProgressInterval)</c>); empty: the default.</summary>
        public string ProgressInterval { get; set; } = "";

        public List<WorkerRequestModel> Models { get; } = new List<WorkerRequestModel>();

        /// <summary>Where the validation report goes (<c>obj/…/slm/</c>); empty: no report (design-time builds).</summary>
        public string ReportDirectory { get; set; } = "";

        /// <summary>The manifest of every model × target of the project, stale or not: the report covers them all.</summary>
        public List<string> ReportManifests { get; } = new List<string>();

        /// <summary>The request as JSON. Empty settings are left out; the worker reads a missing one as empty.</summary>
        public string ToJson()
        {
            var sb = new StringBuilder();
            sb.Append("{\n  ");
            Key(sb, DesignTimeKey).Append(DesignTime ? "true" : "false").Append(",\n  ");
            Key(sb, ProgressIntervalKey);
            String(sb, ProgressInterval.Trim()).Append(",\n  ");
            Key(sb, ModelsKey).Append('[');
            for (int i = 0; i < Models.Count; i++)
            {
                sb.Append(i == 0 ? "\n    " : ",\n    ");
                Models[i].Write(sb);
            }

            sb.Append(Models.Count == 0 ? "]" : "\n  ]");
            if (ReportDirectory.Length > 0)
            {
                sb.Append(",\n  ");
                Key(sb, ReportKey).Append("{\n    ");
                Key(sb, ReportDirectoryKey);
                String(sb, ReportDirectory).Append(",\n    ");
                Key(sb, ReportManifestsKey).Append('[');
                for (int i = 0; i < ReportManifests.Count; i++)
                {
                    sb.Append(i == 0 ? "\n      " : ",\n      ");
                    String(sb, ReportManifests[i]);
                }

                sb.Append(ReportManifests.Count == 0 ? "]\n  }" : "\n    ]\n  }");
            }

            sb.Append("\n}\n");
            return sb.ToString();
        }

        internal static StringBuilder Key(StringBuilder sb, string name) => String(sb, name).Append(": ");

        internal static StringBuilder String(StringBuilder sb, string value)
        {
            sb.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                        else sb.Append(c);
                        break;
                }
            }

            return sb.Append('"');
        }
    }

    /// <summary>One model of a <see cref="WorkerRequest"/>. Paths are absolute; folders end with a separator.</summary>
    internal sealed class WorkerRequestModel
    {
        public const string SourceKey = "source";
        public const string DisplayPathKey = "displayPath";
        public const string NameKey = "name";
        public const string NamespaceKey = "namespace";
        public const string KindKey = "kind";
        public const string Sha256Key = "sha256";
        public const string TargetKey = "target";
        public const string RuntimeIdentifierKey = "runtimeIdentifier";
        public const string ExecutionProviderKey = "executionProvider";
        public const string ModelDirectoryKey = "modelDirectory";
        public const string VariantDirectoryKey = "variantDirectory";
        public const string SettingsKey = "settings";
        public const string FromPackageKey = "fromPackage";
        public const string TrustedSignersFromKey = "trustedSignersFrom";

        /// <summary>The model file, or with <see cref="FromPackage"/> the restored model package (.nupkg).</summary>
        public string Source { get; set; } = "";

        /// <summary>
        /// True for an <c>SlmModelPackage</c> item: the variant is taken from the model package at <see cref="Source"/>
        /// (verified against its manifests) instead of being made; the settings are then empty.
        /// </summary>
        public bool FromPackage { get; set; }

        /// <summary>
        /// With <see cref="FromPackage"/> and <c>SlmOpsRequireSignedModels=true</c>: the folder (the project's) whose NuGet
        /// configuration's <c>trustedSigners</c> must have signed the package; empty: signatures are not checked.
        /// </summary>
        public string TrustedSignersFrom { get; set; } = "";

        /// <summary>The item as the project wrote it, for messages and the manifest.</summary>
        public string DisplayPath { get; set; } = "";

        public string Name { get; set; } = "";

        public string Namespace { get; set; } = "";

        public string Kind { get; set; } = "";

        public string Sha256 { get; set; } = "";

        /// <summary>The target the variant is made for, e.g. <c>linux-x64</c>.</summary>
        public string Target { get; set; } = "";

        /// <summary>The target's RID when <see cref="Target"/> is a device profile (<c>rpi5</c> → <c>linux-arm64</c>); empty: the target is a RID.</summary>
        public string RuntimeIdentifier { get; set; } = "";

        /// <summary>The ONNX Runtime execution provider the target is meant for; empty: <c>cpu</c>.</summary>
        public string ExecutionProvider { get; set; } = "";

        /// <summary>Where the contract goes: <c>obj/…/slm/&lt;Name&gt;/</c>.</summary>
        public string ModelDirectory { get; set; } = "";

        /// <summary>Where the variant, manifest and deps file go: <c>obj/…/slm/&lt;Name&gt;/&lt;target&gt;/</c>.</summary>
        public string VariantDirectory { get; set; } = "";

        /// <summary>The item's settings (<see cref="ModelSettings"/>) as the project wrote them.</summary>
        public Dictionary<ModelSetting, string> Settings { get; } = new Dictionary<ModelSetting, string>();

        internal void Write(StringBuilder sb)
        {
            sb.Append('{');
            Property(sb, SourceKey, Source, first: true);
            if (FromPackage) Property(sb, FromPackageKey, "true");
            if (TrustedSignersFrom.Length > 0) Property(sb, TrustedSignersFromKey, TrustedSignersFrom);
            Property(sb, DisplayPathKey, DisplayPath);
            Property(sb, NameKey, Name);
            Property(sb, NamespaceKey, Namespace);
            Property(sb, KindKey, Kind);
            Property(sb, Sha256Key, Sha256);
            Property(sb, TargetKey, Target);
            if (RuntimeIdentifier.Length > 0) Property(sb, RuntimeIdentifierKey, RuntimeIdentifier);
            if (ExecutionProvider.Length > 0) Property(sb, ExecutionProviderKey, ExecutionProvider);
            Property(sb, ModelDirectoryKey, ModelDirectory);
            Property(sb, VariantDirectoryKey, VariantDirectory);
            sb.Append(",\n      ");
            WorkerRequest.Key(sb, SettingsKey).Append('{');
            bool first = true;
            foreach (ModelSetting setting in ModelSettings.All)
            {
                if (Settings.TryGetValue(setting, out string? value) && value.Length > 0)
                {
                    sb.Append(first ? "\n        " : ",\n        ");
                    WorkerRequest.Key(sb, setting.Key);
                    WorkerRequest.String(sb, value);
                    first = false;
                }
            }

            sb.Append(first ? "}\n    }" : "\n      }\n    }");
        }

        private static void Property(StringBuilder sb, string name, string value, bool first = false)
        {
            sb.Append(first ? "\n      " : ",\n      ");
            WorkerRequest.Key(sb, name);
            WorkerRequest.String(sb, value);
        }
    }
}
