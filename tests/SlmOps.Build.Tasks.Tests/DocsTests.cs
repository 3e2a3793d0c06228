using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SlmOps.Build.Tasks.Tests;

/// <summary>
/// The user docs and the code name the same things: every SlmModel metadata, SDK property and extension target in
/// docs/item-metadata.md exists in the SDK and the other way round, and every SLM code in the sources is in
/// docs/errors.md and the other way round. A new setting or code without docs fails here, and so does a stale page.
/// </summary>
public sealed class DocsTests
{
    private static readonly string Root = FindRoot();

    private static readonly string[] SdkFiles = Directory.GetFiles(Path.Combine(Root, "sdk", "SlmOps.Sdk"), "*.*", SearchOption.AllDirectories)
        .Where(f => f.EndsWith(".props", StringComparison.Ordinal) || f.EndsWith(".targets", StringComparison.Ordinal))
        .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
        .ToArray();

    [Fact]
    public void Every_SlmModel_metadata_in_the_docs_is_one_the_sdk_knows_and_the_other_way_round()
    {
        var documented = TableNames("## `SlmModel` metadata").Where(n => n != "Include").ToHashSet();

        // What the tasks pass to the worker and check for typos, and what the targets give a default.
        var defaulted = SdkFiles.SelectMany(f => XDocument.Load(f).Descendants("ItemDefinitionGroup").Elements("SlmModel").Elements())
            .Select(e => e.Name.LocalName);
        var known = ItemMetadata.Known.Concat(defaulted).ToHashSet();

        Assert.Empty(known.Except(documented));
        Assert.Empty(documented.Except(known));
    }

    [Fact]
    public void Every_public_sdk_property_is_documented_and_every_documented_property_exists()
    {
        var documented = TableNames("## Properties").ToHashSet();
        string text = string.Concat(SdkFiles.Select(File.ReadAllText));
        var defined = SdkFiles.SelectMany(f => XDocument.Load(f).Descendants("PropertyGroup").Elements()).Select(e => e.Name.LocalName);
        var read = Regex.Matches(text, @"\$\((\w+)\)").Select(m => m.Groups[1].Value);
        var sdk = defined.Concat(read).Where(n => n.StartsWith("SlmOps", StringComparison.Ordinal)).ToHashSet();

        Assert.Empty(sdk.Except(documented));
        Assert.Empty(documented.Except(sdk));
    }

    [Fact]
    public void Every_public_sdk_target_is_documented_and_every_documented_target_exists()
    {
        var documented = TableNames("## Targets (extension points)").ToHashSet();
        var targets = SdkFiles.SelectMany(f => XDocument.Load(f).Descendants("Target"))
            .Select(t => (string)t.Attribute("Name")!).Where(n => !n.StartsWith('_')).ToHashSet();

        Assert.Empty(targets.Except(documented));
        Assert.Empty(documented.Except(targets));
    }

    [Fact]
    public void Every_SLM_code_in_the_sources_is_in_errors_md_and_every_documented_code_is_in_the_sources()
    {
        var sources = Directory.GetFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Concat(SdkFiles);
        var used = sources.SelectMany(f => Regex.Matches(File.ReadAllText(f), @"\bSLM\d{4}\b").Select(m => m.Value)).ToHashSet();
        var documented = Regex.Matches(File.ReadAllText(Path.Combine(Root, "docs", "errors.md")), @"^## (SLM\d{4})\b", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();

        Assert.True(used.Count > 30, $"only {used.Count} codes found in the sources; is the scan broken?");
        Assert.Equal(documented.Distinct().Count(), documented.Count);
        Assert.Empty(used.Except(documented).Order());
        Assert.Empty(documented.Except(used).Order());
    }

    /// <summary>The backticked names in the first column of the table under <paramref name="heading"/> in item-metadata.md.</summary>
    private static IEnumerable<string> TableNames(string heading)
    {
        string[] lines = File.ReadAllLines(Path.Combine(Root, "docs", "item-metadata.md"));
        int start = Array.IndexOf(lines, heading);
        Assert.True(start >= 0, $"item-metadata.md has no '{heading}' section");
        var names = new List<string>();
        foreach (string line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)))
        {
            Match m = Regex.Match(line, @"^\| `(\w+)` \|");
            if (m.Success) names.Add(m.Groups[1].Value);
        }

        Assert.NotEmpty(names);
        return names;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SlmOps.Build.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("The tests run outside the repository: SlmOps.Build.sln not found above " + AppContext.BaseDirectory);
    }
}
