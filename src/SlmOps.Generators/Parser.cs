using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis.Diagnostics;
using SlmOps.Contracts;
using SlmOps.Generators.Model;

namespace SlmOps.Generators
{
    /// <summary>Contract file -> <see cref="ModelSpec"/> plus diagnostics. Pure: no Roslyn symbols, no I/O.</summary>
    internal static class Parser
    {
        /// <summary>The item metadata the SDK sets on contract files (declared as CompilerVisibleItemMetadata).</summary>
        public const string ContractMetadataKey = "build_metadata.AdditionalFiles.SlmOpsContract";

        /// <summary>The project file that declares the model (<c>$(MSBuildProjectFullPath)</c>).</summary>
        public const string ProjectFileMetadataKey = "build_metadata.AdditionalFiles.SlmOpsProjectFile";

        /// <summary>The model file the contract was made from.</summary>
        public const string ModelFileMetadataKey = "build_metadata.AdditionalFiles.SlmOpsModelFile";

        /// <summary><c>$(SlmOpsModelsFolder)</c>, which the SDK declares as a CompilerVisibleProperty.</summary>
        public const string ModelsFolderKey = "build_property.SlmOpsModelsFolder";

        private const string SupportedElementTypes = "float, double, float16, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool";

        public static bool IsContract(AnalyzerConfigOptions options) =>
            options.TryGetValue(ContractMetadataKey, out string? value)
            && string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

        /// <summary>The value of one metadata key, trimmed; empty when it is not set.</summary>
        public static string Metadata(AnalyzerConfigOptions options, string key) =>
            options.TryGetValue(key, out string? value) ? value?.Trim() ?? "" : "";

        /// <summary>
        /// The segments of the models folder that <c>Load()</c> looks in. The SDK refuses a folder with a problem
        /// (SLM1013) before the compiler runs, so the default stands in only where no SDK set a usable one.
        /// </summary>
        public static EquatableArray<string> ModelsFolder(AnalyzerConfigOptions globalOptions)
        {
            string folder = Metadata(globalOptions, ModelsFolderKey);
            if (folder.Length == 0 || ModelRules.ModelsFolderProblem(folder) is not null) folder = ModelRules.DefaultModelsFolder;
            return new EquatableArray<string>(ModelRules.ModelsFolderSegments(folder));
        }

        public static ContractResult Parse(ContractFile file, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var diagnostics = new List<DiagnosticInfo>();
            ModelSpec? model = Parse(file, diagnostics);
            return new ContractResult(file.Path, model, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()), file.ProjectOrContract);
        }

        private static ModelSpec? Parse(ContractFile file, List<DiagnosticInfo> diagnostics)
        {
            if (file.Text is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnreadableContract, file.Path, file.Path, "The file has no text."));
                return null;
            }

            ModelContract contract;
            try
            {
                contract = ContractJson.Read(file.Text);
                foreach (TensorContract tensor in Concat(contract.Inputs, contract.Outputs))
                {
                    if (tensor.Name.Length == 0) throw new FormatException("Every input and output needs a non-empty name.");
                }
            }
            catch (FormatException ex)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnreadableContract, file.Path, file.Path, ex.Message));
                return null;
            }

            string? classProblem = ModelRules.ClassNameProblem(contract.Name);
            if (classProblem is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, file.ProjectOrContract, file.ModelOrContract, "class name", contract.Name, classProblem));
            string? namespaceProblem = ModelRules.NamespaceProblem(contract.Namespace);
            if (namespaceProblem is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, file.ProjectOrContract, file.ModelOrContract, "namespace", contract.Namespace, namespaceProblem));

            bool supported = CheckElementTypes(contract, "input", contract.Inputs, file.ModelOrContract, diagnostics)
                & CheckElementTypes(contract, "output", contract.Outputs, file.ModelOrContract, diagnostics);
            if (classProblem is not null || namespaceProblem is not null || !supported) return null;

            var reserved = new List<string>(Naming.ReservedMemberNames) { contract.Name };
            return new ModelSpec(
                contract.Namespace,
                contract.Name,
                contract.Kind,
                Tensors(contract.Inputs, reserved),
                Tensors(contract.Outputs, reserved));
        }

        private static bool CheckElementTypes(
            ModelContract contract, string role, IReadOnlyList<TensorContract> tensors, string path, List<DiagnosticInfo> diagnostics)
        {
            bool ok = true;
            foreach (TensorContract tensor in tensors)
            {
                if (MapElementType(tensor.ElementType) is null)
                {
                    ok = false;
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.UnsupportedElementType, path, contract.Name, role, tensor.Name, tensor.ElementType, SupportedElementTypes));
                }
            }

            return ok;
        }

        private static EquatableArray<TensorSpec> Tensors(IReadOnlyList<TensorContract> tensors, List<string> reserved)
        {
            var names = new string[tensors.Count];
            for (int i = 0; i < names.Length; i++) names[i] = tensors[i].Name;
            string[] members = Naming.UniqueMemberNames(names, reserved);

            var result = new TensorSpec[tensors.Count];
            for (int i = 0; i < result.Length; i++)
            {
                TensorContract tensor = tensors[i];
                (string clrType, string runtimeType) = MapElementType(tensor.ElementType)!.Value;
                var shape = new Dimension[tensor.Shape.Count];
                for (int d = 0; d < shape.Length; d++) shape[d] = Normalize(tensor.Shape[d]);
                result[i] = new TensorSpec(
                    tensor.Name,
                    tensor.ElementType,
                    clrType,
                    runtimeType,
                    new EquatableArray<Dimension>(shape),
                    members[i],
                    Naming.ToParameterName(members[i]));
            }

            return new EquatableArray<TensorSpec>(result);
        }

        /// <summary>Negative sizes (some exporters write -1) and empty names mean "any size".</summary>
        private static Dimension Normalize(Dimension dimension) =>
            dimension.Value is long v && v < 0 ? Dimension.Unknown
            : dimension.Symbol is string s && s.Length == 0 ? Dimension.Unknown
            : dimension;

        /// <summary>The C# type and the <c>SlmOps.Runtime.SlmElementType</c> member for an ONNX element type, or null.</summary>
        public static (string ClrType, string RuntimeType)? MapElementType(string onnxType) => onnxType switch
        {
            ElementTypes.Float => ("float", "Float"),
            ElementTypes.Double => ("double", "Double"),
            ElementTypes.Float16 => ("global::System.Half", "Float16"),
            ElementTypes.Int8 => ("sbyte", "Int8"),
            ElementTypes.Int16 => ("short", "Int16"),
            ElementTypes.Int32 => ("int", "Int32"),
            ElementTypes.Int64 => ("long", "Int64"),
            ElementTypes.UInt8 => ("byte", "UInt8"),
            ElementTypes.UInt16 => ("ushort", "UInt16"),
            ElementTypes.UInt32 => ("uint", "UInt32"),
            ElementTypes.UInt64 => ("ulong", "UInt64"),
            ElementTypes.Bool => ("bool", "Bool"),
            _ => null,
        };

        private static IEnumerable<TensorContract> Concat(IReadOnlyList<TensorContract> a, IReadOnlyList<TensorContract> b)
        {
            foreach (TensorContract t in a) yield return t;
            foreach (TensorContract t in b) yield return t;
        }
    }
}
