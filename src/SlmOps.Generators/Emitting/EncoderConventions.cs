using System.CodeDom.Compiler;
using System.Linq;
using SlmOps.Generators.Model;
using static SlmOps.Generators.CSharpText;

namespace SlmOps.Generators
{
    /// <summary>Overloads for inputs whose meaning is fixed by convention rather than by the model's kind.</summary>
    internal static class EncoderConventions
    {
        /// <summary>
        /// BERT-style encoders take <c>token_type_ids</c>, which is all zeros for a single text. When the model has it
        /// next to an <c>input_ids</c> of the same type and rank, a <c>Run</c> without it passes zeros shaped like
        /// <c>input_ids</c>. Encoders of any kind have it (a generic classifier as much as an embedding model).
        /// </summary>
        public static void WriteRunWithoutSegments(IndentedTextWriter w, ModelSpec model, string self)
        {
            TensorSpec? ids = model.Inputs.FirstOrDefault(t => t.OnnxName == "input_ids");
            TensorSpec? segments = model.Inputs.FirstOrDefault(t => t.OnnxName == "token_type_ids");
            if (ids is null || segments is null || ids.ClrType != segments.ClrType || ids.Shape.Count != segments.Shape.Count)
            {
                return;
            }

            var kept = model.Inputs.Where(t => !ReferenceEquals(t, segments)).ToList();
            w.WriteLine($"/// <summary>Runs the model with <c>token_type_ids</c> all zeros, shaped like <c>input_ids</c>: one segment per sequence, what single texts need.</summary>");
            WriteParameterDocs(w, "input", kept);
            w.WriteLine("/// <returns>The outputs, in new tensors.</returns>");
            w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">{InputMismatch}</exception>");
            w.WriteLine($"public {self}.Output Run({Parameters(kept)})");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine($"global::System.ArgumentNullException.ThrowIfNull({ids.ParameterName});");
            string arguments = string.Join(", ", model.Inputs.Select(t => ReferenceEquals(t, segments)
                ? $"{TensorType(t)}.Zeros({ids.ParameterName}.Shape.ToArray())"
                : t.ParameterName));
            w.WriteLine($"return Run({arguments});");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
        }
    }
}
