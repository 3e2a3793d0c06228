using System.Text.Json;
using System.Xml.Linq;

namespace SlmOps.Packaging.Tests;

public class ValidationReportTests
{
    private static readonly XNamespace Html = "http://www.w3.org/1999/xhtml", Svg = "http://www.w3.org/2000/svg";

    private static ValidationReport Report()
    {
        var int4 = VariantManifestTests.Manifest(new VariantQuantization("int4", 36, 1000, 300, null)) with { Validation = VariantManifestTests.Validation() };
        var failed = int4 with { Target = DeviceTarget.Parse("linux-arm64"), Validation = VariantManifestTests.Validation(passed: false) };
        var copy = VariantManifestTests.Manifest(null) with { Name = "Linear <b>", Target = DeviceTarget.Parse("linux-x64"), Validation = null };
        return new ValidationReport([new ReportEntry(failed, Shipped: false), new ReportEntry(int4, Shipped: true), new ReportEntry(copy, Shipped: true)], "1.2.3", "linux-x64");
    }

    [Fact]
    public void Json_lists_every_model_and_target_in_order_with_status_sizes_and_the_validation()
    {
        using var doc = JsonDocument.Parse(Report().ToJson());
        var root = doc.RootElement;

        Assert.Equal(["schemaVersion", "tool", "host", "models"], root.EnumerateObject().Select(p => p.Name));
        var models = root.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal([("Linear <b>", "linux-x64", "not validated"), ("MiniLm", "linux-arm64", "failed"), ("MiniLm", "linux-arm64", "passed")],
            models.Select(m => (m.GetProperty("name").GetString(), m.GetProperty("target").GetString(), m.GetProperty("status").GetString())));
        var passed = models[2];
        Assert.Equal((90_000_000L, 55_000_007L, 0.6111, true),
            (passed.GetProperty("sourceBytes").GetInt64(), passed.GetProperty("variantBytes").GetInt64(), passed.GetProperty("sizeRatio").GetDouble(), passed.GetProperty("shipped").GetBoolean()));
        Assert.Equal(2, passed.GetProperty("validation").GetProperty("gates").GetArrayLength());
        Assert.False(models[1].GetProperty("shipped").GetBoolean());
    }

    [Fact]
    public void Markdown_has_a_table_per_model_with_a_column_per_gate_and_the_failures_below()
    {
        string md = Report().ToMarkdown();

        Assert.StartsWith("# SlmOps validation report\n\n3 variants, 1 passed, 1 failed, 1 not validated; checked on linux-x64, ONNX Runtime 1.31.1.\n", md);
        Assert.Contains("## MiniLm\n\n| target | precision | size | vs source | latency p50 (source) | MinCosine | MaxRelativeError | result |\n", md);
        Assert.Contains("| linux-arm64 | int4 | 55.0 MB | 0.61× | 12.1 ms (10.6 ms) | 0.9662 ≥ 0.95 pass | 0.22 ≤ 0.35 pass | passed |\n", md);
        Assert.Contains("| linux-arm64 | int4 | 55.0 MB | 0.61× | 12.1 ms (10.6 ms) | 0.9662 ≥ 0.95 pass | NaN ≤ 0.35 FAIL | **failed** |\n", md);
        Assert.Contains("- linux-arm64: SLM4003: The output 'last_hidden_state' has 3 NaN", md);
        Assert.Contains("For linux-arm64 (another architecture) they say little about the device.", md);
    }

    [Fact]
    public void Html_is_one_well_formed_page_with_no_script_or_link_and_a_point_and_a_bar_per_validated_variant()
    {
        string html = Report().ToHtml();

        Assert.StartsWith("<!DOCTYPE html>", html);
        XDocument page = XDocument.Parse(html);
        Assert.DoesNotContain(page.Descendants(), e => e.Name.LocalName is "script" or "link" or "img" or "iframe");
        // Nothing to fetch: the only URLs are the XML namespaces.
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain(page.Descendants().Attributes(), a => a.Name.LocalName is "href" or "src");
        var charts = page.Descendants(Svg + "svg").ToList();
        Assert.Equal(2, charts.Count);
        var points = charts[0].Descendants(Svg + "circle").ToList();
        Assert.Equal(3, points.Count);
        Assert.Contains(points, p => p.Attribute("fill")!.Value == "none" && p.Value == "MiniLm source: 90.0 MB");
        Assert.Contains(points, p => p.Attribute("fill")!.Value == "#b00020" && p.Value.StartsWith("MiniLm int4 (linux-arm64): 55.0 MB", StringComparison.Ordinal));
        Assert.Equal(4, charts[1].Descendants(Svg + "rect").Count());
        Assert.Equal(2, page.Descendants(Html + "table").Count());
        Assert.Contains(page.Descendants(Html + "h2"), h => h.Value == "Linear <b>");
        Assert.Contains(page.Descendants(Html + "td"), td => td.Value == "failed" && td.Attribute("class")!.Value == "failed");
    }

    [Fact]
    public void An_auto_variant_shows_its_choice_and_every_candidate_tried_in_all_three_files()
    {
        var auto = VariantManifestTests.Manifest(new VariantQuantization("int4", 36, 1000, 300, null)) with
        {
            Auto = VariantManifestTests.Auto(),
            Validation = VariantManifestTests.Validation(),
        };
        var report = new ValidationReport([new ReportEntry(auto, Shipped: true)], "1.2.3", "linux-x64");

        using var doc = JsonDocument.Parse(report.ToJson());
        var model = doc.RootElement.GetProperty("models")[0];
        Assert.Equal("int4 + 2/3 int8", model.GetProperty("auto").GetProperty("chosen").GetString());
        Assert.Equal(3, model.GetProperty("auto").GetProperty("explored").GetArrayLength());

        string md = report.ToMarkdown();
        Assert.Contains("| linux-arm64 | auto: int4 + 2/3 int8 | 55.0 MB |", md);
        Assert.Contains("\nPrecision=auto on linux-arm64, the candidates in the order tried:\n\n| candidate | size | vs source | accuracy | result |\n|---|---:|---:|---|---|\n" +
            "| int4 | 14.0 MB | 0.16× | MinCosine 0.87 ≥ 0.99 | failed |\n" +
            "| int8-weight + embeddings | 26.0 MB | 0.29× | MinCosine 0.9992 ≥ 0.99 | passed |\n" +
            "| int4 + 2/3 int8 (chosen) | 19.5 MB | 0.22× | MinCosine 0.9902 ≥ 0.99 | passed |\n", md);

        XDocument page = XDocument.Parse(report.ToHtml());
        var points = page.Descendants(Svg + "svg").First().Descendants(Svg + "circle").ToList();
        // The source, the shipped variant, and the two other candidates as small rings (red failed, green passed).
        Assert.Equal(4, points.Count);
        Assert.Contains(points, p => p.Attribute("r")!.Value == "3" && p.Attribute("stroke")!.Value == "#b00020" && p.Value.StartsWith("MiniLm auto candidate int4 (linux-arm64): 14.0 MB, 0.87, failed", StringComparison.Ordinal));
        Assert.Contains(points, p => p.Attribute("r")!.Value == "3" && p.Attribute("stroke")!.Value == "#0b6b2b");
        Assert.Contains(points, p => p.Value.StartsWith("MiniLm auto: int4 + 2/3 int8 (linux-arm64): 55.0 MB", StringComparison.Ordinal));
        Assert.Equal(2, page.Descendants(Html + "table").Count());
        Assert.Contains(page.Descendants(Html + "td"), td => td.Value == "int4 + 2/3 int8 (chosen)");
    }

    [Fact]
    public void Without_validated_variants_the_charts_say_so()
    {
        var copy = VariantManifestTests.Manifest(null);
        XDocument page = XDocument.Parse(new ValidationReport([new ReportEntry(copy, true)], "1", "linux-x64").ToHtml());

        Assert.Contains(page.Descendants(Svg + "text"), t => t.Value == "No variant was validated.");
        Assert.Contains(page.Descendants(Svg + "text"), t => t.Value == "No latency was measured.");
    }
}
