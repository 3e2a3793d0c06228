using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using SlmOps.Contracts;
using SlmOps.Quantization;
using SlmOps.Validation;

namespace SlmOps.Cli;

/// <summary>
/// <c>slmops validate &lt;original.onnx&gt; &lt;variant.onnx&gt;</c>: the checks the build runs on a variant, for people
/// and scripts. Exit code 0 when every check passes, 1 with an <c>error SLM4xxx</c> line per failed one.
/// </summary>
internal static class ValidateCommand
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create(CliContext context)
    {
        var original = new Argument<string>("original") { Description = "The model the variant was made from (the reference)." };
        var variant = new Argument<string>("variant") { Description = "The quantized (or otherwise rewritten) model to check." };
        var kind = new Option<string>("--kind") { Description = "auto | embedding | causal-lm | generic: which metrics apply (auto: from the graph's names).", DefaultValueFactory = _ => ModelKinds.Auto };
        kind.AcceptOnlyFromAmong(ModelKinds.Auto, ModelKinds.Embedding, ModelKinds.CausalLm, ModelKinds.Generic);
        var precision = new Option<string>("--precision", "-p") { Description = "The variant's precision, whose default gates apply.", DefaultValueFactory = _ => "int4" };
        precision.AcceptOnlyFromAmong([.. QuantizationNames.Precisions]);
        var gates = new Option<string[]>("--gate") { Description = $"A gate over the defaults, Name=Value (a number, a percentage, or none); repeatable. Gates: {string.Join(", ", ValidationGates.Names)}." };
        var samples = new Option<string?>("--samples") { Description = "Sample data: a text file (one sample per line, for models with input_ids) or a folder of ONNX tensors (input_0.pb, …). Default: one synthesized sample." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Text samples: vocab.txt (WordPiece) or vocab.json with merges.txt beside it (byte-level BPE); default: beside the original." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };

        var command = new Command("validate", "Run a variant and its original in ONNX Runtime on the same samples and check the drift gates.")
        {
            original, variant, kind, precision, gates, samples, tokenizer, json,
        };
        command.SetAction(parseResult =>
        {
            string originalPath = Path.GetFullPath(parseResult.GetValue(original)!);
            string variantPath = Path.GetFullPath(parseResult.GetValue(variant)!);
            context.LogInvocation($"validate {originalPath} {variantPath}");
            ValidationGates thresholds;
            try
            {
                thresholds = ValidationGates.DefaultsFor(parseResult.GetValue(precision)!).With(ParseGates(parseResult.GetValue(gates) ?? []));
            }
            catch (FormatException ex)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return Program.UsageError;
            }

            ValidationResult result;
            try
            {
                result = VariantValidator.Validate(originalPath, variantPath, new ValidationSettings
                {
                    Kind = parseResult.GetValue(kind)!,
                    Gates = thresholds,
                    SampleData = parseResult.GetValue(samples) is { } s ? Path.GetFullPath(s) : null,
                    Tokenizer = parseResult.GetValue(tokenizer) is { } t ? Path.GetFullPath(t) : null,
                });
            }
            catch (SlmException ex)
            {
                context.Error.WriteLine(ex.ToErrorLine());
                return Program.Failed;
            }
            catch (Exception ex)
            {
                context.Error.WriteLine($"error {CliErrorCodes.InternalError}: {variantPath}: {ModelPreparer.InternalErrorMessage("Validating the model", ex)}");
                return Program.Failed;
            }

            if (parseResult.GetValue(json)) context.Out.WriteLine(JsonSerializer.Serialize(result, s_json));
            else WriteSummary(context.Out, originalPath, variantPath, result);
            foreach (ValidationFailure failure in result.Failures) context.Error.WriteLine($"error {failure.Code}: {variantPath}: {failure.Message}");
            return result.Passed ? Program.Success : Program.Failed;
        });
        return command;
    }

    private static IEnumerable<KeyValuePair<string, string>> ParseGates(string[] gates)
    {
        foreach (string gate in gates)
        {
            int equals = gate.IndexOf('=');
            if (equals <= 0) throw new FormatException($"--gate '{gate}' is not Name=Value, such as MinCosine=0.99.");
            yield return new(gate[..equals].Trim(), gate[(equals + 1)..]);
        }
    }

    private static void WriteSummary(TextWriter o, string original, string variant, ValidationResult r)
    {
        string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        string N(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        o.WriteLine($"Original   {original}");
        o.WriteLine($"Variant    {variant}");
        o.WriteLine($"Runtime    ONNX Runtime {r.OrtVersion}, {r.SampleCount} {(r.SynthesizedSamples ? "synthesized " : "")}sample{(r.SampleCount == 1 ? "" : "s")}, kind {r.Kind ?? "?"}");
        o.WriteLine($"Load       {Ms(r.OriginalLoadTime.TotalMilliseconds)} -> {Ms(r.VariantLoadTime.TotalMilliseconds)}");
        if (r.OriginalLatency is { } before && r.VariantLatency is { } after)
            o.WriteLine($"Latency    p50 {Ms(before.P50Milliseconds)} -> {Ms(after.P50Milliseconds)}, p95 {Ms(before.P95Milliseconds)} -> {Ms(after.P95Milliseconds)} ({after.Runs} runs each, this machine)");
        foreach (OutputDrift d in r.Outputs)
        {
            string detail = d.MismatchFraction is double m ? $"{(m * 100).ToString("0.##", CultureInfo.InvariantCulture)}% of values differ" : $"relative error {N(d.RelativeError)}, max abs {N(d.MaxAbsError)}";
            if (d.Top1Agreement is double t) detail += $", top-1 agreement {N(t)}";
            o.WriteLine($"Output     {d.Name}: {detail}");
        }

        if (r.Cosines.Count > 0) o.WriteLine($"Cosine     worst {N(r.Cosines.Min())}, mean {N(r.Cosines.Average())} over {r.Cosines.Count} embeddings");
        if (r.Perplexity is { } p)
            o.WriteLine($"Perplexity {N(p.Original)} -> {N(p.Variant)} ({(p.Increase * 100).ToString("+0.00;-0.00", CultureInfo.InvariantCulture)}%) over {p.Tokens} next tokens");
        foreach (GateResult g in r.Gates)
        {
            string relation = g.IsMinimum ? ">=" : "<=";
            o.WriteLine($"Gate       {g.Gate} ({g.Subject}) {N(g.Measured)} {relation} {N(g.Threshold)}: {(g.Passed ? "pass" : "FAIL")}");
        }

        o.WriteLine(r.Passed ? "Result     pass" : $"Result     FAIL ({r.Failures.Count} check{(r.Failures.Count == 1 ? "" : "s")})");
    }
}
