using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;
using SlmOps.Generators.Model;

namespace SlmOps.Generators
{
    /// <summary>The pieces of C# text that every writer of a wrapper needs: literals, doc text, tensor types.</summary>
    internal static class CSharpText
    {
        public const string Runtime = "global::SlmOps.Runtime.";

        /// <summary>The <c>ArgumentException</c> doc of every <c>Run</c>.</summary>
        public const string InputMismatch = "An input's element type, rank or a dimension does not fit the model; the message names the input.";

        public static string TensorType(TensorSpec t) => $"{Runtime}SlmTensor<{t.ClrType}>";

        /// <summary><c>SlmTensor&lt;long&gt; inputIds, ...</c> for a parameter list.</summary>
        public static string Parameters(IEnumerable<TensorSpec> tensors) =>
            string.Join(", ", tensors.Select(t => TensorType(t) + " " + t.ParameterName));

        public static void WriteParameterDocs(IndentedTextWriter w, string role, IEnumerable<TensorSpec> tensors)
        {
            foreach (TensorSpec t in tensors)
                w.WriteLine($"/// <param name=\"{t.ParameterName.TrimStart('@')}\">{Describe(role, t)}</param>");
        }

        /// <summary><c>ONNX input &lt;c&gt;input_ids&lt;/c&gt;: int64 [batch, sequence]</c>.</summary>
        public static string Describe(string role, TensorSpec t) =>
            $"ONNX {role} <c>{Xml(t.OnnxName)}</c>: {Xml(t.OnnxElementType)} {Xml(t.ShapeText)}";

        public static string TensorList(EquatableArray<TensorSpec> tensors) =>
            tensors.Count == 0
                ? "none"
                : string.Join(", ", tensors.Select(t => $"<c>{Xml(t.OnnxName)}</c> {Xml(t.OnnxElementType)} {Xml(t.ShapeText)}"));

        /// <summary>A facade's <c>GetService</c>: the wrapper for its own types, else what <paramref name="facade"/> (a member) offers.</summary>
        public static void WriteGetService(IndentedTextWriter w, string facade)
        {
            w.WriteLine("/// <summary>This instance for its own types; what the facade offers (its metadata, tokenizer, …); otherwise <see langword=\"null\"/>.</summary>");
            w.WriteLine("public object? GetService(global::System.Type serviceType, object? serviceKey = null)");
            w.WriteLine("{");
            w.WriteLine("    global::System.ArgumentNullException.ThrowIfNull(serviceType);");
            w.WriteLine($"    return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : {facade}.GetService(serviceType, serviceKey);");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
        }

        public static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

        /// <summary>Text safe inside a one-line XML doc comment: markup escaped, line breaks and controls made spaces.</summary>
        public static string Xml(string value)
        {
            var sb = new StringBuilder(value.Length);
            foreach (char c in value)
            {
                switch (c)
                {
                    case '&': sb.Append("&amp;"); break;
                    case '<': sb.Append("&lt;"); break;
                    case '>': sb.Append("&gt;"); break;
                    default: sb.Append(char.IsControl(c) || c == '\u2028' || c == '\u2029' ? ' ' : c); break;
                }
            }

            return sb.ToString();
        }
    }
}
