using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using SlmOps.Contracts;

namespace SlmOps.Generators.Model
{
    // Pipeline models: immutable, value-equal, and free of ISymbol/Compilation/SyntaxNode so the incremental driver can
    // compare them across runs and skip work when nothing changed.

    /// <summary>
    /// A contract file's path and text, as the first pipeline step reads it, with the files that the SDK names in its
    /// item metadata (empty when absent): the project that declares the SlmModel and the model file. Diagnostics go
    /// where the user can fix them: settings on the project, element types on the model, a damaged contract on itself.
    /// </summary>
    internal sealed record ContractFile(string Path, string? Text, string ProjectFile = "", string ModelFile = "")
    {
        public string ProjectOrContract => ProjectFile.Length > 0 ? ProjectFile : Path;

        public string ModelOrContract => ModelFile.Length > 0 ? ModelFile : Path;
    }

    /// <summary>What one contract file yields: a model to emit (or none), and diagnostics to report.</summary>
    /// <remarks><paramref name="SettingsLocation"/>: where a problem with the item's Name or Namespace (a duplicate class) is reported.</remarks>
    internal sealed record ContractResult(string ContractPath, ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics, string SettingsLocation);

    /// <summary>A model ready to emit: names already resolved to valid, collision-free C# identifiers.</summary>
    internal sealed record ModelSpec(
        string Namespace,
        string ClassName,
        string Kind,
        EquatableArray<TensorSpec> Inputs,
        EquatableArray<TensorSpec> Outputs)
    {
        public string FullName => Namespace + "." + ClassName;

        public string HintName => FullName + ".g.cs";
    }

    /// <summary>One graph input or output with its C# member name, parameter name and element type.</summary>
    internal sealed record TensorSpec(
        string OnnxName,
        string OnnxElementType,
        string ClrType,
        string RuntimeElementType,
        EquatableArray<Dimension> Shape,
        string MemberName,
        string ParameterName)

    {
        public string ShapeText
        {
            get
            {
                var parts = new string[Shape.Count];
                for (int i = 0; i < parts.Length; i++) parts[i] = Shape[i].ToString();
                return "[" + string.Join(", ", parts) + "]";
            }
        }
    }

    /// <summary>A diagnostic as data: located on a file (line 1), reported in the output step.</summary>
    internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, string FilePath, EquatableArray<string> MessageArgs)

    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, string filePath, params string[] messageArgs) =>
            new DiagnosticInfo(descriptor, filePath, new EquatableArray<string>(messageArgs));

        public Diagnostic ToDiagnostic()
        {
            var location = Location.Create(FilePath, default(TextSpan), new LinePositionSpan(LinePosition.Zero, LinePosition.Zero));
            var args = new object[MessageArgs.Count];
            for (int i = 0; i < args.Length; i++) args[i] = MessageArgs[i];
            return Diagnostic.Create(Descriptor, location, args);
        }
    }
}
