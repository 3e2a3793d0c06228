using System.Globalization;
using System.Text;

namespace SlmOps.Build.Tasks
{
    /// <summary>C# identifier rules for the names that become generated classes and namespaces.</summary>
    internal static class Identifiers
    {
        private static readonly string[] Keywords =
        {
            "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
            "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
            "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
            "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
            "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
            "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
            "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
        };

        public static bool IsValidIdentifier(string value)
        {
            if (string.IsNullOrEmpty(value) || System.Array.IndexOf(Keywords, value) >= 0)
            {
                return false;
            }

            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                bool ok = c == '_' || char.IsLetter(c) || (i > 0 && (char.IsDigit(c)
                    || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.ConnectorPunctuation));
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        public static bool IsValidNamespace(string value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return false;
            }

            foreach (string part in value.Split('.'))
            {
                if (!IsValidIdentifier(part))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// The default class name for a model file: PascalCase of the file name without extension, with characters
        /// that cannot appear in an identifier treated as word breaks (<c>all-MiniLM-L6-v2.onnx</c> →
        /// <c>AllMiniLML6V2</c>, <c>model.onnx</c> → <c>Model</c>, <c>2b-chat.onnx</c> → <c>_2bChat</c>).
        /// </summary>
        public static string ToPascalCase(string fileNameWithoutExtension)
        {
            var sb = new StringBuilder(fileNameWithoutExtension.Length);
            bool upperNext = true;
            foreach (char c in fileNameWithoutExtension)
            {
                if (char.IsLetterOrDigit(c))
                {
                    sb.Append(upperNext ? char.ToUpperInvariant(c) : c);
                    upperNext = false;
                }
                else
                {
                    upperNext = true;
                }
            }

            if (sb.Length == 0 || char.IsDigit(sb[0]))
            {
                sb.Insert(0, '_');
            }

            return sb.ToString();
        }
    }
}
