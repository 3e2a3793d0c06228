using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace SlmOps.Generators
{
    /// <summary>Turns ONNX value names into C# identifiers, and checks the names the contract gives.</summary>
    internal static class Naming
    {
        /// <summary>
        /// Member names the wrapper declares itself, or that would hide <see cref="object"/> members. Input and output
        /// properties that would take one of these get a numeric suffix instead.
        /// </summary>
        public static readonly string[] ReservedMemberNames =
        {
            "Run", "Load", "Dispose", "ModelName", "Input", "Output",
            "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "ReferenceEquals", "Finalize",
        };

        /// <summary>The members the wrapper class itself declares.</summary>
        private static readonly string[] WrapperMemberNames = { "Run", "Load", "Dispose", "ModelName", "Input", "Output" };

        /// <summary><c>input_ids</c> -> <c>InputIds</c>; <c>past_key_values.0.key</c> -> <c>PastKeyValues0Key</c>; <c>0</c> -> <c>_0</c>.</summary>
        public static string ToPascalCase(string onnxName)
        {
            var sb = new StringBuilder(onnxName.Length);
            bool startOfWord = true;
            foreach (char c in onnxName)
            {
                if (!char.IsLetterOrDigit(c))
                {
                    startOfWord = true;
                    continue;
                }

                sb.Append(startOfWord ? char.ToUpperInvariant(c) : c);
                startOfWord = false;
            }

            if (sb.Length == 0) return "Value";
            if (!SyntaxFacts.IsIdentifierStartCharacter(sb[0])) sb.Insert(0, '_');
            return sb.ToString();
        }

        /// <summary><c>InputIds</c> -> <c>inputIds</c>; keywords are escaped (<c>@class</c>).</summary>
        public static string ToParameterName(string memberName)
        {
            string name = char.IsUpper(memberName[0])
                ? char.ToLowerInvariant(memberName[0]) + memberName.Substring(1)
                : memberName;
            return SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
        }

        /// <summary>
        /// PascalCase names for <paramref name="onnxNames"/> in order, unique among themselves and against
        /// <paramref name="taken"/>: a name already used gets the smallest suffix 2, 3, ... that makes it free.
        /// </summary>
        public static string[] UniqueMemberNames(IReadOnlyList<string> onnxNames, IEnumerable<string> taken)
        {
            var used = new HashSet<string>(taken, StringComparer.Ordinal);
            var result = new string[onnxNames.Count];
            for (int i = 0; i < result.Length; i++)
            {
                string baseName = ToPascalCase(onnxNames[i]);
                string name = baseName;
                for (int suffix = 2; used.Contains(name); suffix++) name = baseName + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
                used.Add(name);
                result[i] = name;
            }

            return result;
        }

        /// <summary>Why <paramref name="name"/> cannot be the wrapper's class name, or null when it can.</summary>
        public static string? ClassNameProblem(string name)
        {
            string? problem = IdentifierProblem(name);
            if (problem is not null) return problem;
            bool lowerAscii = true;
            foreach (char c in name) lowerAscii &= c >= 'a' && c <= 'z';
            if (lowerAscii) return "type names of only lower-case ASCII letters are reserved for C# keywords";
            if (Array.IndexOf(WrapperMemberNames, name) >= 0)
                return "the wrapper declares a member of that name, and a member cannot have its class's name";
            return null;
        }

        /// <summary>Why <paramref name="ns"/> cannot be the wrapper's namespace, or null when it can.</summary>
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

        private static string? IdentifierProblem(string name)
        {
            if (name.Length == 0) return "it is empty";
            if (!SyntaxFacts.IsValidIdentifier(name)) return "it is not a C# identifier";
            if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None) return "it is a C# keyword";
            return null;
        }
    }
}
