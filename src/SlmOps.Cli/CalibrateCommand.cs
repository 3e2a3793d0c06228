using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SlmOps.Quantization;
using SlmOps.Validation;

namespace SlmOps.Cli;

/// <summary>
/// <c>slmops calibrate &lt;model.onnx&gt; &lt;ranges.json&gt; --samples …</c>: the activation ranges that static QDQ
/// needs, computed in ONNX Runtime on the model's own samples, written as the file <c>CalibrationRanges</c> and
/// <c>slmops quantize --ranges</c> read. The same calibration the build runs for <c>Precision="qdq"</c> without
/// <c>CalibrationRanges</c>, with the method and percentile to choose, for a project that pins its ranges.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = "The float model to calibrate (the one qdq quantizes)." };
        var output = new Argument<string>("ranges") { Description = "The ranges file to write (JSON)." };
        var samples = new Option<string>("--samples") { Description = "Sample data: a text file (one sample per line, for models with input_ids) or a folder of ONNX tensors (input_0.pb, …).", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Text samples: vocab.txt (WordPiece) or vocab.json with merges.txt beside it (byte-level BPE); default: beside the model." };
        var method = new Option<string>("--method") { Description = "minmax (the range of every value seen) or percentile (the range holding --percentile of |x|).", DefaultValueFactory = _ => "minmax" };
        method.AcceptOnlyFromAmong("minmax", "percentile");
        var percentile = new Option<double>("--percentile") { Description = "percentile: the percentage of |x| values the range holds, in (0, 100].", DefaultValueFactory = _ => new CalibrationSettings().Percentile };
        var include = new Option<string[]>("--include") { Description = "Node or weight name pattern (* ?) of the MatMuls qdq will rewrite; repeatable. Default: all." };
        var exclude = new Option<string[]>("--exclude") { Description = "Node or weight name pattern to leave alone; repeatable." };
        var minElements = new Option<long>("--min-elements") { Description = "Weights with fewer elements stay float (as quantize --min-elements)." };
        var json = new Option<bool>("--json") { Description = "Print what was calibrated as JSON." };

        var command = new Command("calibrate", "Compute the activation ranges static QDQ needs, in ONNX Runtime on sample data, and write them to a file.")
        {
            model, output, samples, tokenizer, method, percentile, include, exclude, minElements, json,
        };
        command.SetAction(parseResult =>
        {
            string modelPath = Path.GetFullPath(parseResult.GetValue(model)!);
            string rangesPath = Path.GetFullPath(parseResult.GetValue(output)!);
            context.LogInvocation($"calibrate {modelPath} {rangesPath}");
            return context.Run(modelPath, "Calibrating the model", () =>
            {
                if (string.Equals(modelPath, rangesPath, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                    throw new QuantizationException(QuantizationErrorCodes.OutputOverwritesInput, modelPath, "The ranges file would overwrite the model; choose another path.");
                var options = new QuantizationOptions
                {
                    Precision = Precision.Qdq,
                    Include = parseResult.GetValue(include) ?? [],
                    Exclude = parseResult.GetValue(exclude) ?? [],
                    MinimumElements = parseResult.GetValue(minElements),
                };
                var settings = new CalibrationSettings
                {
                    Method = parseResult.GetValue(method) == "percentile" ? CalibrationMethod.Percentile : CalibrationMethod.MinMax,
                    Percentile = parseResult.GetValue(percentile),
                };
                var ranges = VariantChecks.Calibrate(modelPath, options, parseResult.GetValue(samples)!, parseResult.GetValue(tokenizer) is { } t ? Path.GetFullPath(t) : null, settings);
                ranges.Save(rangesPath);
                if (parseResult.GetValue(json))
                {
                    context.Out.WriteLine(JsonSerializer.Serialize(new { model = modelPath, ranges = rangesPath, method = ranges.Method, samples = ranges.Samples, activations = ranges.Count }));
                }
                else
                {
                    context.Out.WriteLine($"Model      {modelPath}");
                    context.Out.WriteLine($"Ranges     {rangesPath}");
                    context.Out.WriteLine($"Calibrated {ranges.Count.ToString(CultureInfo.InvariantCulture)} activation{(ranges.Count == 1 ? "" : "s")} on {ranges.Samples} sample{(ranges.Samples == 1 ? "" : "s")}, {ranges.Method}");
                }

                return Program.Success;
            });
        });
        return command;
    }
}
