using Microsoft.CodeAnalysis;
using SlmOps.Contracts;

namespace SlmOps.Generators.Tests;

/// <summary>
/// Generated sources compared exactly with Baselines/*.g.cs. Set SLMOPS_UPDATE_BASELINES=1 to rewrite the baselines
/// from the current output, then review the diff.
/// </summary>
public class BaselineTests
{
    private const string VersionPlaceholder = "{GeneratorVersion}";

    public static TheoryData<string> ContractNames => new() { "MiniLm", "ImageScorer", "Tricky", "TinyChat" };

    [Theory]
    [MemberData(nameof(ContractNames))]
    public void Generated_source_matches_its_baseline(string name)
    {
        ModelContract contract = Contracts.All.Single(c => c.Name == name);
        var (result, _) = GeneratorHarness.Run(GeneratorHarness.Contract(contract));

        GeneratedSourceResult source = Assert.Single(result.GeneratedSources);
        Assert.Equal($"{contract.Namespace}.{contract.Name}.g.cs", source.HintName);
        string actual = source.SourceText.ToString().Replace(
            $"\"SlmOps.Generators\", \"{Emitter.GeneratorVersion}\"", $"\"SlmOps.Generators\", \"{VersionPlaceholder}\"");

        string path = Path.Combine(GeneratorHarness.SourceDirectory(), "Baselines", source.HintName);
        if (Environment.GetEnvironmentVariable("SLMOPS_UPDATE_BASELINES") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"No baseline at {path}; run the tests with SLMOPS_UPDATE_BASELINES=1 to create it.");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    /// <summary>Regression: the first output cast of <c>Run</c> was written at column 0 (and frozen in the baselines).</summary>
    [Theory]
    [MemberData(nameof(ContractNames))]
    public void Every_line_inside_the_namespace_is_indented(string name)
    {
        string source = GeneratorHarness.Run(GeneratorHarness.Contract(Contracts.All.Single(c => c.Name == name))).Result.GeneratedSources.Single().SourceText.ToString();
        string[] lines = source.Split('\n');
        int open = Array.FindIndex(lines, l => l.StartsWith("namespace ", StringComparison.Ordinal)) + 1;
        int close = Array.FindLastIndex(lines, l => l == "}");

        Assert.Equal("{", lines[open]);
        Assert.All(lines[(open + 1)..close].Where(l => l.Length > 0), line => Assert.StartsWith("    ", line));
    }

    [Fact]
    public void The_same_contract_always_generates_the_same_text()
    {
        string first = GeneratorHarness.Run(GeneratorHarness.Contract(Contracts.AwkwardNames)).Result.GeneratedSources.Single().SourceText.ToString();
        string second = GeneratorHarness.Run(GeneratorHarness.Contract(Contracts.AwkwardNames)).Result.GeneratedSources.Single().SourceText.ToString();

        Assert.Equal(first, second);
        Assert.DoesNotContain("\r", first);
    }
}
