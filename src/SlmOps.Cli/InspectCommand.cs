using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using SlmOps.Contracts;
using SlmOps.Onnx;

namespace SlmOps.Cli;

/// <summary><c>slmops inspect &lt;model.onnx&gt; [--json]</c>: what a model takes and gives, and what it is made of.</summary>
internal static class InspectCommand
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new DimensionConverter() },
    };

    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = "The .onnx file to inspect." };
        var json = new Option<bool>("--json") { Description = "Print JSON (camelCase) instead of a table." };
        var allowHardLinks = AllowHardLinksOption();
        var command = new Command("inspect", "Show a model's inputs, outputs, opsets, operators, initializers and external data.") { model, json, allowHardLinks };
        command.SetAction(parseResult => Run(context, parseResult.GetValue(model)!, parseResult.GetValue(json), parseResult.GetValue(allowHardLinks)));
        return command;
    }

    /// <summary>The opt-out from the loader's refusal of hard-linked external data (for build caches that link files).</summary>
    internal static Option<bool> AllowHardLinksOption() =>
        new("--allow-hard-links") { Description = "Accept external-data files with more than one hard link (build caches that link files); refused by default." };

    private static int Run(CliContext context, string path, bool json, bool allowHardLinks)
    {
        context.LogInvocation("inspect " + path);
        ModelInspection inspection;
        try
        {
            using var model = OnnxModelLoader.Load(path, new OnnxLoadOptions { AllowHardLinks = allowHardLinks });
            inspection = model.Inspect();
        }
        catch (SlmException ex)
        {
            context.Error.WriteLine(ex.ToErrorLine());
            return Program.Failed;
        }
        catch (Exception ex)
        {
            context.Error.WriteLine($"error {CliErrorCodes.InternalError}: {Path.GetFullPath(path)}: {ModelPreparer.InternalErrorMessage("Inspecting the model", ex)}");
            return Program.Failed;
        }

        if (json) context.Out.WriteLine(JsonSerializer.Serialize(inspection, s_json));
        else WriteTable(context.Out, inspection);
        return Program.Success;
    }

    private static void WriteTable(TextWriter o, ModelInspection m)
    {
        o.WriteLine($"Model        {m.FilePath}");
        o.WriteLine($"Size         {FormatBytes(m.FileLength)}");
        o.WriteLine($"SHA-256      {m.Sha256}");
        o.WriteLine($"IR version   {m.IrVersion}");
        o.WriteLine($"Opsets       {string.Join(", ", m.Opsets.Select(s => $"{s.Domain} {s.Version}"))}");
        o.WriteLine($"Producer     {(m.ProducerName + " " + m.ProducerVersion).Trim()}");
        o.WriteLine($"Kind (auto)  {m.DetectedKind}");
        o.WriteLine();
        WriteValues(o, "Inputs", m.Inputs);
        WriteValues(o, "Outputs", m.Outputs);

        o.WriteLine($"Operators ({m.NodeCount} nodes)");
        WriteRows(o, m.Operators.Select(op => new[] { op.Key, op.Count.ToString(CultureInfo.InvariantCulture) }));
        o.WriteLine();

        o.WriteLine($"Initializers ({m.InitializerCount}, {FormatBytes(m.InitializerBytes)})");
        WriteRows(o, m.InitializersByType.Select(t => new[] { t.ElementType, t.Count.ToString(CultureInfo.InvariantCulture), FormatBytes(t.Bytes) }));
        o.WriteLine();

        o.WriteLine("External data");
        if (m.ExternalDataFiles.Count == 0) o.WriteLine("  (none)");
        WriteRows(o, m.ExternalDataFiles.Select(f => new[] { f.Path, $"{f.TensorCount} tensors", $"{FormatBytes(f.BytesReferenced)} referenced", $"{FormatBytes(f.FileLength)} file" }));
    }

    private static void WriteValues(TextWriter o, string title, IReadOnlyList<GraphValue> values)
    {
        o.WriteLine(title);
        if (values.Count == 0) o.WriteLine("  (none)");
        WriteRows(o, values.Select(v => new[] { v.Name, v.IsTensor ? v.ElementType! : v.Type, v.IsTensor ? v.ShapeText : "" }));
        o.WriteLine();
    }

    private static void WriteRows(TextWriter o, IEnumerable<string[]> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0) return;
        int columns = list.Max(r => r.Length);
        var widths = Enumerable.Range(0, columns).Select(c => list.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        foreach (var row in list)
        {
            var cells = row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]));
            o.WriteLine("  " + string.Join("  ", cells).TrimEnd());
        }
    }

    internal static string FormatBytes(long bytes) => bytes switch
    {
        >= 1_000_000_000 => (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        >= 1_000 => (bytes / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " kB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    /// <summary>Dimensions as the contract writes them: a number, a symbol string, or null.</summary>
    private sealed class DimensionConverter : JsonConverter<Dimension>
    {
        public override Dimension Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.Number => Dimension.Fixed(reader.GetInt64()),
                JsonTokenType.String => Dimension.Symbolic(reader.GetString()!),
                _ => Dimension.Unknown,
            };

        public override void Write(Utf8JsonWriter writer, Dimension value, JsonSerializerOptions options)
        {
            if (value.Value is long v) writer.WriteNumberValue(v);
            else if (value.Symbol is string s) writer.WriteStringValue(s);
            else writer.WriteNullValue();
        }

        public override bool HandleNull => true;
    }
}
