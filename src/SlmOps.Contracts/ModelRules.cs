using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SlmOps.Contracts
{
    /// <summary>
    /// The rules for what an <c>SlmModel</c> item may say, in one place. Dependency-free, so it is compiled into the
    /// MSBuild tasks (which check items before any worker starts) and into the source generator (which checks the
    /// contracts it reads), and the worker references it: a name the tasks accept is one the generator accepts.
    /// </summary>
    public static class ModelRules
    {
        /// <summary>The members every generated wrapper declares; a model's class cannot take one of these names.</summary>
        public static readonly IReadOnlyList<string> WrapperMemberNames = new[] { "Run", "RunAsync", "Load", "LoadAsync", "Bind", "Dispose", "ModelName", "Manifest", "Input", "Output", "AsEmbeddingGenerator", "GenerateAsync", "GetService", "Embeddings", "CausalLm", "Generate", "AsChatClient", "GetResponseAsync", "GetStreamingResponseAsync", "Chat", "GenAiConfig" };

        /// <summary>
        /// The reserved C# keywords (contextual keywords such as <c>var</c> are identifiers), with the undocumented
        /// <c>__arglist</c> family that the compiler also reserves.
        /// </summary>
        private static readonly HashSet<string> Keywords = new HashSet<string>(StringComparer.Ordinal)
        {
            "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
            "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
            "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
            "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
            "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
            "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
            "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
            "__arglist", "__makeref", "__reftype", "__refvalue",
        };

        /// <summary>Why <paramref name="name"/> cannot be a wrapper's class name, or null when it can.</summary>
        public static string? ClassNameProblem(string name)
        {
            string? problem = IdentifierProblem(name);
            if (problem is not null) return problem;
            bool lowerAscii = true;
            foreach (char c in name) lowerAscii &= c >= 'a' && c <= 'z';
            if (lowerAscii) return "type names of only lower-case ASCII letters are reserved for C# keywords";
            foreach (string member in WrapperMemberNames)
            {
                if (member == name) return "the wrapper declares a member of that name, and a member cannot have its class's name";
            }

            return null;
        }

        /// <summary>Why <paramref name="ns"/> cannot be a wrapper's namespace, or null when it can.</summary>
        public static string? NamespaceProblem(string ns)
        {
            if (ns.Length == 0) return "it is empty";
            foreach (string segment in ns.Split('.'))
            {
                if (segment == "global") return "'global' cannot be part of a namespace";
                string? problem = IdentifierProblem(segment);
                if (problem is not null) return segment.Length == 0 ? "it has an empty part" : $"its part '{segment}': {problem}";
            }

            return null;
        }

        /// <summary>Whether <paramref name="name"/> is a C# identifier that is not a keyword (no <c>@</c> escape).</summary>
        public static bool IsIdentifier(string name) => IdentifierProblem(name) is null;

        /// <summary>
        /// PascalCase of <paramref name="text"/>, with characters that cannot appear in an identifier treated as word
        /// breaks (<c>all-MiniLM-L6-v2</c> → <c>AllMiniLML6V2</c>, <c>input_ids</c> → <c>InputIds</c>, <c>2b-chat</c> →
        /// <c>_2bChat</c>); <paramref name="whenEmpty"/> when nothing is left.
        /// </summary>
        public static string ToPascalCase(string text, string whenEmpty)
        {
            var sb = new StringBuilder(text.Length);
            bool startOfWord = true;
            foreach (char c in text)
            {
                if (!char.IsLetterOrDigit(c))
                {
                    startOfWord = true;
                    continue;
                }

                sb.Append(startOfWord ? char.ToUpperInvariant(c) : c);
                startOfWord = false;
            }

            if (sb.Length == 0) return whenEmpty;
            if (char.IsDigit(sb[0])) sb.Insert(0, '_');
            return sb.ToString();
        }

        /// <summary>The <c>Sha256</c> metadata as compared: trimmed, lower case.</summary>
        public static string NormalizeSha256(string sha256) => sha256.Trim().ToLowerInvariant();

        /// <summary>Whether a normalized <c>Sha256</c> is 64 hexadecimal digits.</summary>
        public static bool IsSha256(string normalized)
        {
            if (normalized.Length != 64) return false;
            foreach (char c in normalized)
            {
                if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) return false;
            }

            return true;
        }

        /// <summary>The <c>Precision</c> metadata as the SDK reads it: trimmed, lower case, <c>fp32</c> when empty.</summary>
        public static string NormalizePrecision(string precision)
        {
            string normalized = precision.Trim().ToLowerInvariant();
            return normalized.Length == 0 ? "fp32" : normalized;
        }

        /// <summary>True when the variant is the source unchanged: fp32 (in any spelling) and no pruning.</summary>
        public static bool IsPassThrough(string precision, string prune) =>
            NormalizePrecision(precision) == "fp32" && prune.Trim().Length == 0;

        /// <summary>The default of <c>$(SlmOpsModelsFolder)</c>: the output folder that holds one folder per model.</summary>
        public const string DefaultModelsFolder = "models";

        /// <summary>
        /// The segments of a models folder (<c>$(SlmOpsModelsFolder)</c>) relative to the output directory, split at
        /// both separators, without empty and <c>.</c> segments: <c>"assets\ml/"</c> is <c>assets</c>, <c>ml</c>.
        /// </summary>
        public static string[] ModelsFolderSegments(string folder)
        {
            var segments = new List<string>();
            foreach (string segment in folder.Trim().Split('/', '\\'))
            {
                if (segment.Length > 0 && segment != ".") segments.Add(segment);
            }

            return segments.ToArray();
        }

        /// <summary>
        /// Why <paramref name="folder"/> cannot be the models folder, or null when it can. The build copies the models
        /// there and the generated <c>Load()</c> looks there, both relative to the application's folder, so it must be
        /// a relative path that stays inside it.
        /// </summary>
        public static string? ModelsFolderProblem(string folder)
        {
            string trimmed = folder.Trim();
            if (trimmed.StartsWith("/", StringComparison.Ordinal) || trimmed.StartsWith("\\", StringComparison.Ordinal)
                || (trimmed.Length >= 2 && trimmed[1] == ':'))
            {
                return "it is an absolute path";
            }

            string[] segments = ModelsFolderSegments(trimmed);
            if (segments.Length == 0) return "it is empty";
            foreach (string segment in segments)
            {
                if (segment == "..") return "'..' would leave the output folder";
                foreach (char c in segment)
                {
                    if (c < ' ' || c is '"' or '<' or '>' or '|' or ':' or '*' or '?') return $"'{segment}' is not a portable folder name";
                }
            }

            return null;
        }

        private static string? IdentifierProblem(string name)
        {
            if (name.Length == 0) return "it is empty";
            for (int i = 0; i < name.Length; i++)
            {
                if (!(i == 0 ? IsIdentifierStart(name[i]) : IsIdentifierPart(name[i]))) return "it is not a C# identifier";
            }

            return Keywords.Contains(name) ? "it is a C# keyword" : null;
        }

        // The C# specification's identifier-start and identifier-part characters (§6.4.3), by Unicode category.
        private static bool IsIdentifierStart(char c) => c == '_' || IsLetter(CharUnicodeInfo.GetUnicodeCategory(c));

        private static bool IsIdentifierPart(char c)
        {
            UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(c);
            return c == '_' || IsLetter(category) || category is UnicodeCategory.DecimalDigitNumber
                or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.NonSpacingMark
                or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.Format;
        }

        private static bool IsLetter(UnicodeCategory category) => category is UnicodeCategory.UppercaseLetter
            or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
            or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber;
    }
}
