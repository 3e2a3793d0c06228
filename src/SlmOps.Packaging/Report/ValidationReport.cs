using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SlmOps.Packaging;

/// <summary>
/// The build's validation report over every model × target of a project: <c>slm-report.json</c> (machine-readable,
/// schema in docs/validation.md), <c>slm-report.md</c> (a table per model, fit for a CI job summary) and
/// <c>slm-report.html</c> (one self-contained page: tables and inline SVG charts, no script, no network).
/// </summary>
public sealed class ValidationReport
{
    /// <summary>The schema of <c>slm-report.json</c> this library writes.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The file names, in the intermediate folder and in the output.</summary>
    public const string JsonFile = "slm-report.json", MarkdownFile = "slm-report.md", HtmlFile = "slm-report.html";

    /// <summary>A report of <paramref name="entries"/>, sorted by model then target.</summary>
    public ValidationReport(IEnumerable<ReportEntry> entries, string toolVersion, string host)
    {
        Entries = entries.OrderBy(e => e.Manifest.Name, StringComparer.Ordinal).ThenBy(e => e.Manifest.Target.Name, StringComparer.Ordinal).ToList();
        ToolVersion = toolVersion;
        Host = host;
    }

    /// <summary>One line per model × target.</summary>
    public IReadOnlyList<ReportEntry> Entries { get; }

    /// <summary>The slmops version that wrote the report.</summary>
    public string ToolVersion { get; }

    /// <summary>The RID of the machine that ran the checks, where the latencies were measured.</summary>
    public string Host { get; }

    /// <summary><c>slm-report.json</c>: indented, with a final line break.</summary>
    public string ToJson()
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            json.WriteStartObject("tool");
            json.WriteString("name", "slmops");
            json.WriteString("version", ToolVersion);
            json.WriteEndObject();
            json.WriteString("host", Host);
            json.WriteStartArray("models");
            foreach (ReportEntry entry in Entries)
            {
                VariantManifest m = entry.Manifest;
                json.WriteStartObject();
                json.WriteString("name", m.Name);
                json.WriteString("target", m.Target.Name);
                json.WriteString("kind", m.Kind);
                json.WriteString("precision", m.Precision);
                json.WriteString("status", entry.Status);
                json.WriteBoolean("shipped", entry.Shipped);
                json.WriteNumber("sourceBytes", m.Source.Size);
                json.WriteNumber("variantBytes", entry.VariantBytes);
                json.WriteNumber("sizeRatio", Math.Round(entry.SizeRatio, 4));
                if (m.Quantization is { } q) json.WriteString("quantization", q.Settings);
                if (m.Auto is { } auto) VariantManifest.WriteAuto(json, auto);
                if (m.Validation is { } v) VariantManifest.WriteValidation(json, v);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary><c>slm-report.md</c>: a heading and a table per model, one row per target, a column per gate.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.Append("# SlmOps validation report\n\n");
        md.Append(Summary()).Append("\n\n");
        foreach (var model in Entries.GroupBy(e => e.Manifest.Name))
        {
            List<string> gates = GateColumns(model);
            md.Append("## ").Append(model.Key).Append("\n\n");
            md.Append("| target | precision | size | vs source | latency p50 (source) |");
            foreach (string gate in gates) md.Append(' ').Append(gate).Append(" |");
            md.Append(" result |\n|---|---|---:|---:|---:|");
            foreach (string _ in gates) md.Append("---:|");
            md.Append("---|\n");
            foreach (ReportEntry entry in model)
            {
                VariantManifest m = entry.Manifest;
                md.Append("| ").Append(m.Target.Name).Append(" | ").Append(PrecisionText(m)).Append(" | ").Append(Megabytes(entry.VariantBytes))
                    .Append(" | ").Append(Ratio(entry.SizeRatio)).Append(" | ").Append(LatencyText(m.Validation?.Latency)).Append(" |");
                foreach (string gate in gates) md.Append(' ').Append(GateText(entry, gate)).Append(" |");
                md.Append(' ').Append(entry.Status == "failed" ? "**failed**" : entry.Status).Append(" |\n");
            }

            var failures = Failures(model);
            if (failures.Count > 0)
            {
                md.Append('\n');
                foreach (var (target, failure) in failures) md.Append("- ").Append(target).Append(": ").Append(EscapeMarkdown(failure)).Append('\n');
            }

            foreach (ReportEntry entry in model.Where(e => e.Manifest.Auto is not null))
            {
                md.Append("\nPrecision=auto on ").Append(entry.Manifest.Target.Name).Append(", the candidates in the order tried:\n\n| candidate | size | vs source | accuracy | result |\n|---|---:|---:|---|---|\n");
                foreach (VariantTrial trial in entry.Manifest.Auto!.Explored)
                {
                    md.Append("| ").Append(EscapeMarkdown(trial.Candidate)).Append(trial.Candidate == entry.Manifest.Auto.Chosen ? " (chosen)" : "").Append(" | ")
                        .Append(Megabytes(trial.Bytes)).Append(" | ").Append(Ratio(trial.Bytes / (double)entry.Manifest.Source.Size)).Append(" | ")
                        .Append(EscapeMarkdown(TrialGates(trial))).Append(" | ").Append(trial.Passed ? "passed" : "failed").Append(" |\n");
                }
            }

            md.Append('\n');
        }

        md.Append(LatencyNote()).Append('\n');
        return md.ToString();
    }

    /// <summary>
    /// <c>slm-report.html</c>: one page with inline CSS and SVG (no script, no network, well-formed XML so tools
    /// can read it): a size-vs-accuracy chart of every variant, a latency chart per model × target, and the tables.
    /// </summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<title>SlmOps validation report</title>\n<style>\n")
            .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#1b1b1b}table{border-collapse:collapse;margin:1em 0}")
            .Append("th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}th:first-child,td:first-child{text-align:left}")
            .Append(".failed{color:#b00020;font-weight:bold}.warned{color:#a15c00;font-weight:bold}.passed{color:#0b6b2b}")
            .Append("svg text{font-size:11px;font-family:system-ui,sans-serif}\n</style>\n</head>\n<body>\n");
        html.Append("<h1>SlmOps validation report</h1>\n<p>").Append(Escape(Summary())).Append("</p>\n");
        html.Append("<h2>Size and accuracy</h2>\n").Append(SizeAccuracyChart());
        html.Append("<h2>Latency</h2>\n").Append(LatencyChart()).Append("<p>").Append(Escape(LatencyNote())).Append("</p>\n");
        foreach (var model in Entries.GroupBy(e => e.Manifest.Name))
        {
            List<string> gates = GateColumns(model);
            html.Append("<h2>").Append(Escape(model.Key)).Append("</h2>\n<table>\n<tr><th>target</th><th>precision</th><th>size</th><th>vs source</th><th>latency p50 (source)</th>");
            foreach (string gate in gates) html.Append("<th>").Append(Escape(gate)).Append("</th>");
            html.Append("<th>result</th></tr>\n");
            foreach (ReportEntry entry in model)
            {
                VariantManifest m = entry.Manifest;
                html.Append("<tr><td>").Append(Escape(m.Target.Name)).Append("</td><td>").Append(Escape(PrecisionText(m))).Append("</td><td>")
                    .Append(Megabytes(entry.VariantBytes)).Append("</td><td>").Append(Ratio(entry.SizeRatio)).Append("</td><td>")
                    .Append(Escape(LatencyText(m.Validation?.Latency))).Append("</td>");
                foreach (string gate in gates) html.Append("<td>").Append(Escape(GateText(entry, gate))).Append("</td>");
                html.Append("<td class=\"").Append(entry.Status).Append("\">").Append(entry.Status).Append("</td></tr>\n");
            }

            html.Append("</table>\n");
            var failures = Failures(model);
            if (failures.Count > 0)
            {
                html.Append("<ul>\n");
                foreach (var (target, failure) in failures) html.Append("<li class=\"failed\">").Append(Escape(target + ": " + failure)).Append("</li>\n");
                html.Append("</ul>\n");
            }

            foreach (ReportEntry entry in model.Where(e => e.Manifest.Auto is not null))
            {
                html.Append("<p>Precision=auto on ").Append(Escape(entry.Manifest.Target.Name)).Append(", the candidates in the order tried:</p>\n<table>\n<tr><th>candidate</th><th>size</th><th>vs source</th><th>accuracy</th><th>result</th></tr>\n");
                foreach (VariantTrial trial in entry.Manifest.Auto!.Explored)
                {
                    string result = trial.Passed ? "passed" : "failed";
                    html.Append("<tr><td>").Append(Escape(trial.Candidate + (trial.Candidate == entry.Manifest.Auto.Chosen ? " (chosen)" : ""))).Append("</td><td>")
                        .Append(Megabytes(trial.Bytes)).Append("</td><td>").Append(Ratio(trial.Bytes / (double)entry.Manifest.Source.Size)).Append("</td><td>")
                        .Append(Escape(TrialGates(trial))).Append("</td><td class=\"").Append(result).Append("\">").Append(result).Append("</td></tr>\n");
                }

                html.Append("</table>\n");
            }
        }

        html.Append("<p>slmops ").Append(Escape(ToolVersion)).Append("</p>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes the three files into <paramref name="directory"/>, each through a temp file and a rename.</summary>
    public void WriteTo(string directory, Action<string, string> writeAllText)
    {
        writeAllText(Path.Combine(directory, JsonFile), ToJson());
        writeAllText(Path.Combine(directory, MarkdownFile), ToMarkdown());
        writeAllText(Path.Combine(directory, HtmlFile), ToHtml());
    }

    private string Summary()
    {
        int failed = Entries.Count(e => e.Status == "failed"), warned = Entries.Count(e => e.Status == "warned");
        int passed = Entries.Count(e => e.Status == "passed"), unvalidated = Entries.Count(e => e.Status == "not validated");
        var parts = new List<string> { $"{Entries.Count} variant{(Entries.Count == 1 ? "" : "s")}", $"{passed} passed" };
        if (failed > 0) parts.Add($"{failed} failed");
        if (warned > 0) parts.Add($"{warned} failed with ValidationMode=warn and shipped");
        if (unvalidated > 0) parts.Add($"{unvalidated} not validated");
        string runtime = Entries.Select(e => e.Manifest.Validation?.OnnxRuntime).FirstOrDefault(r => r is not null) is { } version ? $", ONNX Runtime {version}" : "";
        return $"{string.Join(", ", parts)}; checked on {Host}{runtime}.";
    }

    private string LatencyNote()
    {
        var others = Entries.Select(e => e.Manifest.Target).Where(t => !t.SharesArchitectureWith(Host))
            .Select(t => t.Name).Distinct().ToList();
        string note = $"Latencies are medians of timed runs on the build machine ({Host}, one thread), variant and source alternately.";
        return others.Count == 0 ? note : note + $" For {string.Join(", ", others)} (another architecture) they say little about the device.";
    }

    /// <summary>The failed checks of a model's entries, with the target each belongs to.</summary>
    private static List<(string Target, string Failure)> Failures(IEnumerable<ReportEntry> entries) =>
        entries.SelectMany(e => (e.Manifest.Validation?.Failures ?? []).Select(f => (e.Manifest.Target.Name, f))).ToList();

    private static List<string> GateColumns(IEnumerable<ReportEntry> entries) =>
        entries.SelectMany(e => e.Manifest.Validation?.Gates ?? []).Select(g => g.Gate).Distinct().ToList();

    /// <summary>The gate's binding subject (<see cref="VariantGate.Binding"/>), or null when the entry did not check it.</summary>
    private static VariantGate? Worst(ReportEntry entry, string gate) =>
        VariantGate.Binding((entry.Manifest.Validation?.Gates ?? []).Where(g => g.Gate == gate)).FirstOrDefault();

    private static string GateText(ReportEntry entry, string gate) => Worst(entry, gate) is { } g
        ? string.Create(CultureInfo.InvariantCulture, $"{Measured(g)} {(g.IsMinimum ? "≥" : "≤")} {Number(g.Threshold)} {(g.Passed ? "pass" : "FAIL")}")
        : "–";

    /// <summary>The precision column: <c>auto: int4 + 38/40 int8</c> for a variant <c>Precision="auto"</c> chose.</summary>
    private static string PrecisionText(VariantManifest m) => m.Auto is { } auto ? "auto: " + auto.Chosen : m.Precision;

    private static string TrialGates(VariantTrial trial) => string.Join(", ", VariantGate.Binding(trial.Gates).Select(g =>
        string.Create(CultureInfo.InvariantCulture, $"{g.Gate} {Measured(g)} {(g.IsMinimum ? "≥" : "≤")} {Number(g.Threshold)}")));

    private static string LatencyText(VariantLatency? latency) => latency is null
        ? "–"
        : string.Create(CultureInfo.InvariantCulture, $"{latency.P50:0.0} ms ({latency.OriginalP50:0.0} ms)");

    /// <summary>The gate's measured value; "–" for a time or memory the manifest does not keep (a packaged variant's, an auto trial's).</summary>
    private static string Measured(VariantGate g) =>
        !double.IsFinite(g.Measured) && VariantManifest.IsMachineMeasured(g.Gate) ? "–" : Number(g.Measured);

    private static string Number(double value) => double.IsFinite(value) ? value.ToString("0.####", CultureInfo.InvariantCulture) : "NaN";

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    private static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×";

    private static string EscapeMarkdown(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Escape(string text) => System.Net.WebUtility.HtmlEncode(text);

    // Chart geometry: a plot area inside margins for the axis labels.
    private const int Width = 720, Height = 320, Left = 60, Right = 20, Top = 20, Bottom = 50;

    /// <summary>
    /// Every variant as a point: x its size in MB, y its accuracy (the worst pooled-embedding cosine when measured,
    /// else the worst top-1 agreement, else 1 − the worst relative error; 1 for a copy). Failed variants are drawn in red; each model's source
    /// is a grey ring at its size and accuracy 1, the point every variant is measured against. The other candidates
    /// <c>Precision="auto"</c> tried are small rings (green passed, red failed): the frontier the search explored.
    /// </summary>
    private string SizeAccuracyChart()
    {
        var points = Entries.Select(e => (Entry: e, X: e.VariantBytes / 1e6, Y: Accuracy(e))).Where(p => p.Y is not null).ToList();
        var trials = Entries.Where(e => e.Manifest.Auto is not null)
            .SelectMany(e => e.Manifest.Auto!.Explored.Where(t => t.Candidate != e.Manifest.Auto.Chosen).Select(t => (Entry: e, Trial: t, X: t.Bytes / 1e6, Y: Accuracy(t.Gates))))
            .Where(p => p.Y is not null).ToList();
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"size against accuracy per variant\">\n");
        if (points.Count == 0)
        {
            svg.Append("<text x=\"20\" y=\"40\">No variant was validated.</text>\n</svg>\n");
            return svg.ToString();
        }

        var sources = points.GroupBy(p => p.Entry.Manifest.Name).Select(g => (Name: g.Key, X: g.Max(p => p.Entry.Manifest.Source.Size) / 1e6)).ToList();
        double maxX = Math.Max(new[] { points.Max(p => p.X), sources.Max(s => s.X), trials.Select(t => t.X).DefaultIfEmpty(0).Max() }.Max() * 1.1, 0.001);
        double minY = Math.Min(Math.Min(points.Min(p => p.Y!.Value), trials.Select(t => t.Y!.Value).DefaultIfEmpty(1).Min()), 0.99);
        minY = Math.Floor(minY * 100) / 100 - 0.01;
        Axes(svg, "size (MB)", "accuracy", 0, maxX, minY, 1.0);
        double PlotX(double x) => Left + (x / maxX) * (Width - Left - Right);
        double PlotY(double y) => Top + (1.0 - y) / (1.0 - minY) * (Height - Top - Bottom);
        // Every point is an obstacle for the labels, so that no label covers a point drawn after it.
        var labels = sources.Select(s => (PlotX(s.X), (double)Top)).Concat(points.Select(p => (PlotX(p.X), PlotY(p.Y!.Value))))
            .Select(c => (c.Item1 - 5, c.Item2 - 5, c.Item1 + 5, c.Item2 + 5)).ToList();
        foreach (var (name, x) in sources)
        {
            string label = $"{name} source";
            Point(svg, PlotX(x), Top, "none\" stroke=\"#757575\" stroke-width=\"2", label, string.Create(CultureInfo.InvariantCulture, $"{label}: {x:0.0} MB"), labels);
        }

        foreach (var (entry, trial, x, y) in trials)
        {
            string title = string.Create(CultureInfo.InvariantCulture, $"{entry.Manifest.Name} auto candidate {trial.Candidate} ({entry.Manifest.Target.Name}): {x:0.0} MB, {Number(y!.Value)}, {(trial.Passed ? "passed" : "failed")}");
            svg.Append(string.Create(CultureInfo.InvariantCulture,
                $"<circle cx=\"{PlotX(x):0.#}\" cy=\"{PlotY(y.Value):0.#}\" r=\"3\" fill=\"none\" stroke=\"{(trial.Passed ? "#0b6b2b" : "#b00020")}\" stroke-width=\"1.5\"><title>{Escape(title)}</title></circle>\n"));
        }

        foreach (var (entry, x, y) in points)
        {
            string color = entry.Status == "failed" ? "#b00020" : entry.Status == "warned" ? "#a15c00" : "#1565c0";
            string label = $"{entry.Manifest.Name} {PrecisionText(entry.Manifest)} ({entry.Manifest.Target.Name})";
            Point(svg, PlotX(x), PlotY(y!.Value), color, label, string.Create(CultureInfo.InvariantCulture, $"{label}: {x:0.0} MB, {Number(y.Value)}"), labels);
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>
    /// A point with its tooltip and a label beside it: on the right, or on the left in the right half so that it stays
    /// inside; a label that would cover one placed before moves a line down (or up), then to the other side.
    /// </summary>
    private static void Point(StringBuilder svg, double x, double y, string fill, string label, string title, List<(double Left, double Top, double Right, double Bottom)> placed)
    {
        svg.Append(string.Create(CultureInfo.InvariantCulture, $"<circle cx=\"{x:0.#}\" cy=\"{y:0.#}\" r=\"5\" fill=\"{fill}\"><title>{Escape(title)}</title></circle>\n"));
        // 11px text: about 6.2 px per character, 13 px per line.
        double width = label.Length * 6.2;
        bool preferLeft = x > Width / 2.0;
        var candidates = new[] { 0.0, 14, -14, 28, -28 }
            .SelectMany(dy => new[] { (Left: preferLeft, Dy: dy), (Left: !preferLeft, Dy: dy) });
        var fits = candidates.Select(c => (c.Left, c.Dy, Box: (Left: c.Left ? x - 8 - width : x + 8, Top: y + c.Dy - 8, Right: c.Left ? x - 8 : x + 8 + width, Bottom: y + c.Dy + 5)))
            .Where(c => c.Box.Left >= 0 && c.Box.Right <= Width);
        var choice = fits.FirstOrDefault(c => !placed.Any(p => c.Box.Left < p.Right && p.Left < c.Box.Right && c.Box.Top < p.Bottom && p.Top < c.Box.Bottom));
        if (choice == default) choice = fits.FirstOrDefault();
        placed.Add(choice.Box);
        svg.Append(string.Create(CultureInfo.InvariantCulture,
            $"<text x=\"{(choice.Left ? x - 8 : x + 8):0.#}\" y=\"{y + choice.Dy + 4:0.#}\"{(choice.Left ? " text-anchor=\"end\"" : "")}>{Escape(label)}</text>\n"));
    }

    private static double? Accuracy(ReportEntry entry)
    {
        if (entry.Manifest.Validation is not { } v) return null;
        return Accuracy(v.Gates) ?? (v.Passed && entry.Manifest.Quantization is null ? 1.0 : null);
    }

    /// <summary>The worst cosine when measured, else the worst top-1 agreement (language models), else 1 − the worst relative error, else null.</summary>
    private static double? Accuracy(IEnumerable<VariantGate> gates)
    {
        var binding = VariantGate.Binding(gates).ToList();
        if (binding.FirstOrDefault(g => g.Gate == "MinCosine") is { } cosine) return Clamp(cosine.Measured);
        if (binding.FirstOrDefault(g => g.Gate == "MinTop1Agreement") is { } top1) return Clamp(top1.Measured);
        if (binding.FirstOrDefault(g => g.Gate == "MaxRelativeError") is { } error) return Clamp(1 - error.Measured);
        return null;

        static double Clamp(double value) => double.IsFinite(value) ? Math.Clamp(value, 0, 1) : 0;
    }

    /// <summary>Per model × target, the variant's median latency (blue) beside its source's (grey), in ms.</summary>
    private string LatencyChart()
    {
        var bars = Entries.Where(e => e.Manifest.Validation?.Latency is not null).ToList();
        var svg = new StringBuilder();
        int height = Top + Math.Max(1, bars.Count) * 36;
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-label=\"latency per model and target\">\n");
        if (bars.Count == 0)
        {
            svg.Append("<text x=\"20\" y=\"40\">No latency was measured.</text>\n</svg>\n");
            return svg.ToString();
        }

        const int labelWidth = 220;
        double max = bars.Max(e => Math.Max(e.Manifest.Validation!.Latency!.P50, e.Manifest.Validation.Latency.OriginalP50)) * 1.15;
        double scale = (Width - labelWidth - Right) / Math.Max(max, 0.001);
        for (int i = 0; i < bars.Count; i++)
        {
            VariantManifest m = bars[i].Manifest;
            VariantLatency l = m.Validation!.Latency!;
            double y = Top + i * 36;
            svg.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 14:0.#}\">{Escape($"{m.Name} {m.Precision} ({m.Target.Name})")}</text>\n"));
            svg.Append(string.Create(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth}\" y=\"{y:0.#}\" width=\"{l.P50 * scale:0.#}\" height=\"14\" fill=\"#1565c0\"><title>variant p50 {l.P50:0.0} ms</title></rect>\n"));
            svg.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth + l.P50 * scale + 4:0.#}\" y=\"{y + 11:0.#}\">{l.P50:0.0} ms</text>\n"));
            svg.Append(string.Create(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth}\" y=\"{y + 16:0.#}\" width=\"{l.OriginalP50 * scale:0.#}\" height=\"10\" fill=\"#9e9e9e\"><title>source p50 {l.OriginalP50:0.0} ms</title></rect>\n"));
            svg.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth + l.OriginalP50 * scale + 4:0.#}\" y=\"{y + 25:0.#}\">source {l.OriginalP50:0.0} ms</text>\n"));
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Axes(StringBuilder svg, string xLabel, string yLabel, double minX, double maxX, double minY, double maxY)
    {
        int right = Width - Right, bottom = Height - Bottom;
        svg.Append($"<line x1=\"{Left}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\" stroke=\"#555\" />\n");
        svg.Append($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{bottom}\" stroke=\"#555\" />\n");
        for (int i = 0; i <= 4; i++)
        {
            double fx = minX + (maxX - minX) * i / 4, fy = minY + (maxY - minY) * i / 4;
            double px = Left + (right - Left) * i / 4.0, py = bottom - (bottom - Top) * i / 4.0;
            svg.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"{px:0.#}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{fx:0.#}</text>\n"));
            svg.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{py + 4:0.#}\" text-anchor=\"end\">{fy:0.###}</text>\n"));
        }

        svg.Append($"<text x=\"{(Left + right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n");
        svg.Append($"<text x=\"14\" y=\"{(Top + bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(Top + bottom) / 2})\">{Escape(yLabel)}</text>\n");
    }
}
