using Microsoft.CodeAnalysis;
using SlmOps.Contracts;

namespace SlmOps.Generators.Tests;

public class DiagnosticTests
{
    [Fact]
    public void Malformed_contract_reports_SLM9001_on_the_file_with_the_parser_message()
    {
        var (result, _) = GeneratorHarness.Run(GeneratorHarness.File("/obj/slm/Broken/contract.json", "{ \"schemaVersion\": 1, ", "true"));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("SLM9001", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal("/obj/slm/Broken/contract.json", d.Location.GetLineSpan().Path);
        Assert.Contains("Invalid contract JSON at offset", d.GetMessage());
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void Contract_of_another_schema_version_reports_SLM9001()
    {
        var (result, _) = GeneratorHarness.Run(GeneratorHarness.File("/c.json", "{ \"schemaVersion\": 99 }", "true"));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("SLM9001", d.Id);
        Assert.Contains("schema version 99 is not supported", d.GetMessage());
    }

    [Theory]
    [InlineData(ElementTypes.String)]
    [InlineData(ElementTypes.BFloat16)]
    [InlineData("complex64")]
    public void Unsupported_element_type_reports_SLM9002_warning_and_generates_nothing(string elementType)
    {
        var contract = new ModelContract("Texty", "App.Models", ModelKinds.Generic,
            new[] { GeneratorHarness.Tensor("text", elementType, 1) },
            new[] { GeneratorHarness.Tensor("y", ElementTypes.Float, 1) });

        var (result, _) = GeneratorHarness.Run(GeneratorHarness.Contract(contract, "/obj/texty.json"));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("SLM9002", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal("/obj/texty.json", d.Location.GetLineSpan().Path);
        Assert.Contains($"input 'text' has element type '{elementType}'", d.GetMessage());
        Assert.Empty(result.GeneratedSources);
    }

    [Theory]
    [InlineData("My Model", "App.Models", "class name")]
    [InlineData("class", "App.Models", "class name")]
    [InlineData("record", "App.Models", "class name")]
    [InlineData("Run", "App.Models", "class name")]
    [InlineData("Output", "App.Models", "class name")]
    [InlineData("MiniLm", "App..Models", "namespace")]
    [InlineData("MiniLm", "App.namespace", "namespace")]
    [InlineData("MiniLm", "", "namespace")]
    public void Invalid_class_name_or_namespace_reports_SLM9003_error(string name, string ns, string what)
    {
        var contract = new ModelContract(name, ns, ModelKinds.Generic,
            new[] { GeneratorHarness.Tensor("x", ElementTypes.Float, 1) },
            new[] { GeneratorHarness.Tensor("y", ElementTypes.Float, 1) });

        var (result, _) = GeneratorHarness.Run(GeneratorHarness.Contract(contract, "/obj/bad.json"));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("SLM9003", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains($"the {what} '{(what == "namespace" ? ns : name)}' is not valid", d.GetMessage());
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void With_the_sdk_metadata_a_bad_name_is_reported_on_the_project_and_an_unsupported_type_on_the_model()
    {
        var badName = new ModelContract("Run", "App.Models", ModelKinds.Generic,
            new[] { GeneratorHarness.Tensor("x", ElementTypes.Float, 1) },
            new[] { GeneratorHarness.Tensor("y", ElementTypes.Float, 1) });
        var texty = new ModelContract("Texty", "App.Models", ModelKinds.Generic,
            new[] { GeneratorHarness.Tensor("text", ElementTypes.String, 1) },
            new[] { GeneratorHarness.Tensor("y", ElementTypes.Float, 1) });

        var (result, _) = GeneratorHarness.Run(
            GeneratorHarness.Contract(badName, "/obj/slm/Run/contract.json", projectFile: "/src/App/App.csproj", modelFile: "/src/App/models/run.onnx"),
            GeneratorHarness.Contract(texty, "/obj/slm/Texty/contract.json", projectFile: "/src/App/App.csproj", modelFile: "/src/App/models/texty.onnx"),
            GeneratorHarness.Contract(Contracts.MiniLm, "/obj/b/contract.json", projectFile: "/src/App/App.csproj"),
            GeneratorHarness.Contract(Contracts.MiniLm, "/obj/a/contract.json", projectFile: "/src/App/App.csproj"));

        Diagnostic name = Assert.Single(result.Diagnostics, d => d.Id == "SLM9003");
        Assert.Equal("/src/App/App.csproj", name.Location.GetLineSpan().Path);
        Assert.Contains("for the model '/src/App/models/run.onnx'", name.GetMessage());
        Assert.Equal("/src/App/models/texty.onnx", Assert.Single(result.Diagnostics, d => d.Id == "SLM9002").Location.GetLineSpan().Path);
        Assert.Equal("/src/App/App.csproj", Assert.Single(result.Diagnostics, d => d.Id == "SLM9004").Location.GetLineSpan().Path);
    }

    [Fact]
    public void Two_contracts_for_the_same_class_report_SLM9004_and_generate_the_first_by_path()
    {
        var (result, _) = GeneratorHarness.Run(
            GeneratorHarness.Contract(Contracts.MiniLm, "/b/contract.json"),
            GeneratorHarness.Contract(Contracts.MiniLm, "/a/contract.json"));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("SLM9004", d.Id);
        Assert.Equal("/b/contract.json", d.Location.GetLineSpan().Path);
        Assert.Contains("already generated from '/a/contract.json'", d.GetMessage());
        Assert.Single(result.GeneratedSources);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("false")]
    [InlineData("")]
    public void Additional_files_without_the_contract_metadata_are_ignored(string? metadata)
    {
        var (result, _) = GeneratorHarness.Run(GeneratorHarness.File("/obj/contract.json", "not even json", metadata));

        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedSources);
    }

    [Theory]
    [InlineData("True")]
    [InlineData("TRUE")]
    [InlineData(" true ")]
    public void The_contract_metadata_is_read_case_insensitively(string metadata)
    {
        var (result, _) = GeneratorHarness.Run(GeneratorHarness.File("/obj/contract.json", ContractJson.Write(Contracts.MiniLm), metadata));

        Assert.Single(result.GeneratedSources);
    }
}
