using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using SlmOps.Generators.Model;

namespace SlmOps.Generators
{
    /// <summary>
    /// Generates a typed wrapper class for every model contract (<c>contract.json</c>) the SlmOps SDK passes as an
    /// AdditionalFiles item with <c>SlmOpsContract="true"</c> metadata. The pipeline reads no ONNX files and no symbols:
    /// only the contract text, so unrelated edits to code or other files leave every step cached.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class ModelWrapperGenerator : IIncrementalGenerator
    {
        /// <inheritdoc />
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<ContractFile> files = context.AdditionalTextsProvider
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Where(static pair => Parser.IsContract(pair.Right.GetOptions(pair.Left)))
                .Select(static (pair, cancellationToken) => new ContractFile(
                    pair.Left.Path,
                    pair.Left.GetText(cancellationToken)?.ToString(),
                    Parser.Metadata(pair.Right.GetOptions(pair.Left), Parser.ProjectFileMetadataKey),
                    Parser.Metadata(pair.Right.GetOptions(pair.Left), Parser.ModelFileMetadataKey)))
                .WithTrackingName(TrackingNames.ContractFiles);

            IncrementalValuesProvider<ContractResult> contracts = files
                .Select(static (file, cancellationToken) => Parser.Parse(file, cancellationToken))
                .WithTrackingName(TrackingNames.Contracts);

            // Collected so that two contracts that name the same class are reported instead of failing AddSource.
            IncrementalValueProvider<ImmutableArray<ContractResult>> all = contracts
                .Collect()
                .WithTrackingName(TrackingNames.AllContracts);

            // A value-equal string array, so an edit to any other build property leaves the output step cached.
            IncrementalValueProvider<EquatableArray<string>> modelsFolder = context.AnalyzerConfigOptionsProvider
                .Select(static (options, _) => Parser.ModelsFolder(options.GlobalOptions))
                .WithTrackingName(TrackingNames.ModelsFolder);

            context.RegisterSourceOutput(all.Combine(modelsFolder), static (spc, pair) => Emitter.Emit(spc, pair.Left, pair.Right));
        }
    }
}
