using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using SlmOps.Contracts;

namespace SlmOps.Generators.Tests;

/// <summary>Runs <see cref="ModelWrapperGenerator"/> over in-memory contracts the way the compiler would.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions =
        CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest).WithDocumentationMode(DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(SlmOps.Runtime.SlmSession).Assembly.Location)
            .Append(typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.Location)
            // The embedding facade's types.
            .Append(typeof(Microsoft.Extensions.AI.IEmbeddingGenerator).Assembly.Location)
            .Append(typeof(Microsoft.ML.Tokenizers.Tokenizer).Assembly.Location)
            .Distinct();
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create(
            "GeneratedWrapperTest",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    public static GeneratorDriver CreateDriver(params AdditionalText[] files) => CreateDriver(new Dictionary<string, string>(), files);

    /// <summary>A driver whose global options (the build properties the SDK makes compiler-visible) are <paramref name="buildProperties"/>.</summary>
    public static GeneratorDriver CreateDriver(IReadOnlyDictionary<string, string> buildProperties, params AdditionalText[] files) =>
        CSharpGeneratorDriver.Create(
            new[] { new ModelWrapperGenerator().AsSourceGenerator() },
            files,
            ParseOptions,
            OptionsProvider(buildProperties),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Options as the compiler reads them from the SDK's editorconfig: <c>build_property.X</c> for each build property given.</summary>
    public static AnalyzerConfigOptionsProvider OptionsProvider(IReadOnlyDictionary<string, string> buildProperties) =>
        new TestOptionsProvider(buildProperties.ToDictionary(p => "build_property." + p.Key, p => p.Value));

    /// <summary>Runs the generator once over contract files and returns the result and the updated compilation.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(params AdditionalText[] files)
    {
        GeneratorDriver driver = CreateDriver(files).RunGeneratorsAndUpdateCompilation(CreateCompilation(), out Compilation output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    /// <summary>
    /// A contract file the SDK marked with <c>SlmOpsContract="true"</c>, and, when given, the project and model files
    /// it names in <c>SlmOpsProjectFile</c> and <c>SlmOpsModelFile</c>.
    /// </summary>
    public static AdditionalText Contract(ModelContract contract, string? path = null, string? projectFile = null, string? modelFile = null) =>
        new InMemoryText(path ?? $"/obj/slm/{contract.Name}/contract.json", ContractJson.Write(contract), "true", projectFile, modelFile);

    public static AdditionalText File(string path, string text, string? contractMetadata = null) => new InMemoryText(path, text, contractMetadata, null, null);

    public static TensorContract Tensor(string name, string elementType, params object?[] shape) =>
        new(name, elementType, shape.Select(d => d switch
        {
            null => Dimension.Unknown,
            string s => Dimension.Symbolic(s),
            _ => Dimension.Fixed(Convert.ToInt64(d)),
        }).ToArray());

    /// <summary>The folder of this source file, so baselines live in the source tree, not in bin.</summary>
    public static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    private sealed class InMemoryText(string path, string text, string? contractMetadata, string? projectFile, string? modelFile) : AdditionalText
    {
        private readonly SourceText _text = SourceText.From(text);

        public override string Path { get; } = path;

        public string? ContractMetadata { get; } = contractMetadata;

        public string? ProjectFile { get; } = projectFile;

        public string? ModelFile { get; } = modelFile;

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }

    /// <summary>Gives each in-memory file the metadata the SDK's CompilerVisibleItemMetadata would.</summary>
    private sealed class TestOptionsProvider(Dictionary<string, string> globalOptions) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(globalOptions);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile)
        {
            if (textFile is not InMemoryText { ContractMetadata: string value } text) return Options.Empty;
            var values = new Dictionary<string, string> { ["build_metadata.AdditionalFiles.SlmOpsContract"] = value };
            if (text.ProjectFile is not null) values["build_metadata.AdditionalFiles.SlmOpsProjectFile"] = text.ProjectFile;
            if (text.ModelFile is not null) values["build_metadata.AdditionalFiles.SlmOpsModelFile"] = text.ModelFile;
            return new Options(values);
        }

        private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
        {
            public static readonly Options Empty = new(new Dictionary<string, string>());

            public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
        }
    }
}

/// <summary>The contracts the baseline, compilation and end-to-end tests share.</summary>
internal static class Contracts
{
    public static ModelContract MiniLm => new(
        "MiniLm",
        "App.Models",
        ModelKinds.Embedding,
        new[]
        {
            GeneratorHarness.Tensor("input_ids", ElementTypes.Int64, "batch", "sequence"),
            GeneratorHarness.Tensor("attention_mask", ElementTypes.Int64, "batch", "sequence"),
            GeneratorHarness.Tensor("token_type_ids", ElementTypes.Int64, "batch", "sequence"),
        },
        new[] { GeneratorHarness.Tensor("last_hidden_state", ElementTypes.Float, "batch", "sequence", 384) });

    public static ModelContract Float16Generic => new(
        "ImageScorer",
        "App.Models.Vision",
        ModelKinds.Generic,
        new[]
        {
            GeneratorHarness.Tensor("pixels", ElementTypes.Float16, 1, 3, 224, 224),
            GeneratorHarness.Tensor("threshold", ElementTypes.Float),
            GeneratorHarness.Tensor("mask", ElementTypes.Bool, null, 8),
        },
        new[]
        {
            GeneratorHarness.Tensor("scores", ElementTypes.Float16, 1, 1000),
            GeneratorHarness.Tensor("class_index", ElementTypes.UInt8, 1),
            GeneratorHarness.Tensor("raw", ElementTypes.Double, "n"),
        });

    public static ModelContract AwkwardNames => new(
        "Tricky",
        "App.Models",
        ModelKinds.CausalLm,
        new[]
        {
            GeneratorHarness.Tensor("past_key_values.0.key", ElementTypes.Float, "batch", 4, "past", 16),
            GeneratorHarness.Tensor("0", ElementTypes.Int32, 1),
            GeneratorHarness.Tensor("class", ElementTypes.Int8, 1),
            GeneratorHarness.Tensor("run", ElementTypes.Int16, 1),
            GeneratorHarness.Tensor("input", ElementTypes.UInt16, 1),
            GeneratorHarness.Tensor("Input", ElementTypes.UInt32, 1),
            GeneratorHarness.Tensor("tricky", ElementTypes.UInt64, 1),
            GeneratorHarness.Tensor("to_string", ElementTypes.Int64, 1),
            GeneratorHarness.Tensor("a<b>&\"c\"", ElementTypes.Float, "dim \"x\""),
        },
        new[]
        {
            GeneratorHarness.Tensor("logits", ElementTypes.Float, "batch", "sequence", 32000),
            GeneratorHarness.Tensor("Logits", ElementTypes.Float, "batch", "sequence", 32000),
            GeneratorHarness.Tensor("present.0.key", ElementTypes.Float, "batch", 4, "total", 16),
            GeneratorHarness.Tensor("output", ElementTypes.Float, "batch"),
            // Exported graphs name outputs after node ids (MiniLM's pooler output is "924"): the member and the
            // constructor parameter are then both "_924", which once compiled to a self-assignment.
            GeneratorHarness.Tensor("924", ElementTypes.Float, "batch", 384),
        });

    /// <summary>A decoder in the ONNX Runtime GenAI / Optimum layout: two layers, grouped-query KV cache.</summary>
    public static ModelContract TinyChat => new(
        "TinyChat",
        "App.Models",
        ModelKinds.CausalLm,
        new[]
        {
            GeneratorHarness.Tensor("input_ids", ElementTypes.Int64, "batch", "sequence"),
            GeneratorHarness.Tensor("attention_mask", ElementTypes.Int64, "batch", "total_sequence"),
            GeneratorHarness.Tensor("position_ids", ElementTypes.Int64, "batch", "sequence"),
            GeneratorHarness.Tensor("past_key_values.0.key", ElementTypes.Float, "batch", 2, "past_sequence", 8),
            GeneratorHarness.Tensor("past_key_values.0.value", ElementTypes.Float, "batch", 2, "past_sequence", 8),
            GeneratorHarness.Tensor("past_key_values.1.key", ElementTypes.Float, "batch", 2, "past_sequence", 8),
            GeneratorHarness.Tensor("past_key_values.1.value", ElementTypes.Float, "batch", 2, "past_sequence", 8),
        },
        new[]
        {
            GeneratorHarness.Tensor("logits", ElementTypes.Float, "batch", "sequence", 258),
            GeneratorHarness.Tensor("present.0.key", ElementTypes.Float, "batch", 2, "total_sequence", 8),
            GeneratorHarness.Tensor("present.0.value", ElementTypes.Float, "batch", 2, "total_sequence", 8),
            GeneratorHarness.Tensor("present.1.key", ElementTypes.Float, "batch", 2, "total_sequence", 8),
            GeneratorHarness.Tensor("present.1.value", ElementTypes.Float, "batch", 2, "total_sequence", 8),
        });

    public static IEnumerable<ModelContract> All => new[] { MiniLm, Float16Generic, AwkwardNames, TinyChat };
}
