using Microsoft.CodeAnalysis;

namespace SlmOps.Generators
{
    /// <summary>The generator's diagnostics (SLM9xxx); each has a section in docs/errors.md.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "SlmOps.Generators";

        public static readonly DiagnosticDescriptor UnreadableContract = new DiagnosticDescriptor(
            id: "SLM9001",
            title: "The model contract could not be read",
            messageFormat: "The model contract '{0}' could not be read. {1} Rebuild so that the SlmOps SDK writes it again.",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsupportedElementType = new DiagnosticDescriptor(
            id: "SLM9002",
            title: "A model input or output has an element type wrappers do not support",
            messageFormat: "No wrapper was generated for the model '{0}': its {1} '{2}' has element type '{3}', which generated wrappers do not support yet (supported: {4}). Use SlmOps.Runtime.SlmSession directly for this model.",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidName = new DiagnosticDescriptor(
            id: "SLM9003",
            title: "The model's class name or namespace is not a valid C# name",
            messageFormat: "No wrapper was generated for the model '{0}': the {1} '{2}' is not valid: {3}. Set a valid Name or Namespace on the SlmModel item.",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DuplicateModel = new DiagnosticDescriptor(
            id: "SLM9004",
            title: "Two contracts define the same model class",
            messageFormat: "The model class '{0}' is already generated from '{1}'; the contract '{2}' was skipped. Give each SlmModel a distinct Name or Namespace.",
            category: Category,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true);
    }
}
