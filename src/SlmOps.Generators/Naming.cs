using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using SlmOps.Contracts;

namespace SlmOps.Generators
{
    /// <summary>Turns ONNX value names into C# identifiers, and checks the names the contract gives.</summary>
    internal static class Naming
    {
        /// <summary>
        /// Member names the wrapper declares itself, or that would hide <see cref="object"/> members. Input and output
        /// properties that would take one of these get a numeric suffix instead.
        /// </summary>
        public static readonly string[] ReservedMemberNames = ModelRules.WrapperMemberNames.Concat(new[]
        {
            "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "ReferenceEquals", "Finalize",
        }).ToArray();

        /// <summary><c>input_ids</c> -> <c>InputIds</c>; <c>past_key_values.0.key</c> -> <c>PastKeyValues0Key</c>; <c>0</c> -> <c>_0</c>.</summary>
        public static string ToPascalCase(string onnxName) => ModelRules.ToPascalCase(onnxName, "Value");

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
    }
}
