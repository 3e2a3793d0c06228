using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using SlmOps.Onnx;
using SlmOps.Quantization;

namespace SlmOps.Cli;

/// <summary><c>slmops quantize &lt;in.onnx&gt; &lt;out.onnx&gt; --precision ...</c>: the engine behind the SDK, for people and scripts.</summary>
internal static class QuantizeCommand
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("input") { Description = "The float .onnx model to quantize." };
        var output = new Argument<string>("output") { Description = "Where to write the quantized .onnx (its external data, if any, goes beside it)." };
        var precision = new Option<string>("--precision", "-p") { Description = "int4 | int8 | int8-weight | fp16 | fp32 | qdq.", DefaultValueFactory = _ => "int4" };
        precision.AcceptOnlyFromAmong([.. QuantizationNames.Precisions]);
        var blockSize = new Option<int>("--block-size") { Description = "Block size along K for int4 / int8-weight: 16, 32, 64, 128 or 256.", DefaultValueFactory = _ => 32 };
        var asymmetric = new Option<bool>("--asymmetric") { Description = "Block-wise with a zero point per block (default symmetric)." };
        var embeddings = new Option<bool>("--embeddings") { Description = "int4 / int8-weight: quantize embedding tables too (GatherBlockQuantized)." };
        var noSearch = new Option<bool>("--no-scale-search") { Description = "int4 / int8-weight: plain round-to-nearest scales (ONNX Runtime's algorithm), faster, less accurate." };
        var int8Layers = new Option<string[]>("--int8-layers") { Description = "int4: quantize the MatMuls and embedding tables whose node or weight name matches to 8 bits instead (wildcards * ?); repeatable." };
        var accuracyLevel = new Option<int?>("--accuracy-level") { Description = "MatMulNBits accuracy_level (0-4) passed to ONNX Runtime." };
        var int8Format = new Option<string>("--int8-format") { Description = "int8 graph form: qoperator (MatMulInteger) or qdq.", DefaultValueFactory = _ => "qoperator" };
        int8Format.AcceptOnlyFromAmong([.. QuantizationNames.Int8Formats]);
        var int8Weights = new Option<string?>("--int8-weights") { Description = "int8 weights: signed | signed-reduced | unsigned | unsigned-asymmetric (default: by --target-arch)." };
        int8Weights.AcceptOnlyFromAmong([.. QuantizationNames.Int8WeightSchemes]);
        var targetArch = new Option<string?>("--target-arch") { Description = "The CPU the model is for (x64, arm64); picks the safe int8 weight scheme." };
        var include = new Option<string[]>("--include") { Description = "Only quantize nodes or weights whose name matches (wildcards * ?); repeatable.", AllowMultipleArgumentsPerToken = false };
        var exclude = new Option<string[]>("--exclude") { Description = "Leave nodes or weights whose name matches alone; repeatable." };
        var minElements = new Option<long>("--min-elements") { Description = "Leave weights with fewer elements alone." };
        var prune = new Option<string?>("--prune") { Description = "Prune weights first: a sparsity such as 0.5, or 2:4." };
        var ranges = new Option<string?>("--ranges") { Description = "qdq: the calibrated activation ranges (JSON written by SlmOps.Validation's Calibrator)." };
        var activationType = new Option<string>("--activation-type") { Description = "qdq activations: uint8 or uint16.", DefaultValueFactory = _ => "uint8" };
        activationType.AcceptOnlyFromAmong([.. QuantizationNames.QdqActivationTypes]);
        var qdqWeights = new Option<string>("--qdq-weights") { Description = "qdq weights: int8 or uint8 (per channel, symmetric).", DefaultValueFactory = _ => "int8" };
        qdqWeights.AcceptOnlyFromAmong([.. QuantizationNames.QdqWeightTypes]);
        var externalData = new Option<string>("--external-data") { Description = "auto (beyond 2 GB) | always | never.", DefaultValueFactory = _ => "auto" };
        externalData.AcceptOnlyFromAmong("auto", "always", "never");
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "List every tensor and every node left as is." };
        var allowHardLinks = InspectCommand.AllowHardLinksOption();

        var command = new Command("quantize", "Quantize or prune a model: int4/int8 weight-only (MatMulNBits), int8 dynamic, fp16.")
        {
            input, output, precision, blockSize, asymmetric, embeddings, noSearch, int8Layers, accuracyLevel, int8Format, int8Weights, targetArch,
            include, exclude, minElements, prune, ranges, activationType, qdqWeights, externalData, json, verbose, allowHardLinks,
        };
        command.SetAction(parseResult =>
        {
            string inPath = parseResult.GetValue(input)!;
            string outPath = parseResult.GetValue(output)!;
            context.LogInvocation($"quantize {inPath} {outPath}");
            return context.Run(Path.GetFullPath(inPath), "Quantizing the model", () =>
            {
                var options = new QuantizationOptions
                {
                    Precision = QuantizationNames.ParsePrecision(parseResult.GetValue(precision)!),
                    BlockSize = parseResult.GetValue(blockSize),
                    Symmetric = !parseResult.GetValue(asymmetric),
                    QuantizeEmbeddings = parseResult.GetValue(embeddings),
                    ScaleSearch = !parseResult.GetValue(noSearch),
                    Int8Layers = parseResult.GetValue(int8Layers) ?? [],
                    AccuracyLevel = parseResult.GetValue(accuracyLevel),
                    Int8Format = QuantizationNames.ParseInt8Format(parseResult.GetValue(int8Format)!),
                    Int8Weights = parseResult.GetValue(int8Weights) is { } w ? QuantizationNames.ParseInt8Weights(w) : null,
                    TargetArchitecture = parseResult.GetValue(targetArch),
                    Include = parseResult.GetValue(include) ?? [],
                    Exclude = parseResult.GetValue(exclude) ?? [],
                    MinimumElements = parseResult.GetValue(minElements),
                    Pruning = parseResult.GetValue(prune) is { } p ? Pruning.Parse(p) : null,
                    Ranges = parseResult.GetValue(ranges) is { } r ? ActivationRanges.Load(r) : null,
                    ActivationType = QuantizationNames.ParseQdqActivationType(parseResult.GetValue(activationType)!),
                    QdqWeights = QuantizationNames.ParseQdqWeightType(parseResult.GetValue(qdqWeights)!),
                    AllowHardLinks = parseResult.GetValue(allowHardLinks),
                    Write = new ModelWriteOptions { ExternalData = Enum.Parse<ExternalDataMode>(parseResult.GetValue(externalData)!, ignoreCase: true) },
                };
                var result = ModelQuantizer.Quantize(inPath, outPath, options);
                foreach (var message in result.Messages.Where(m => m.Level == MessageLevel.Warning))
                    context.Error.WriteLine($"warning {message.Code}: {message.Text}");
                if (parseResult.GetValue(json)) context.Out.WriteLine(JsonSerializer.Serialize(result, s_json));
                else WriteSummary(context.Out, Path.GetFullPath(inPath), result, options, parseResult.GetValue(verbose));
                return Program.Success;
            });
        });
        return command;
    }

    private static void WriteSummary(TextWriter o, string input, QuantizationResult r, QuantizationOptions options, bool verbose)
    {
        string Bytes(long n) => InspectCommand.FormatBytes(n);
        string ratio = r.InitializerBytesBefore == 0 ? "" : $" ({(double)r.InitializerBytesAfter / r.InitializerBytesBefore:0.00}x)";
        o.WriteLine($"Input      {input}");
        o.WriteLine($"Output     {r.OutputPath}{(r.DataPath is null ? "" : " + " + Path.GetFileName(r.DataPath))}");
        o.WriteLine($"Precision  {Describe(options)}");
        o.WriteLine($"Tensors    {r.Tensors.Count} rewritten");
        o.WriteLine($"Weights    {Bytes(r.InitializerBytesBefore)} -> {Bytes(r.InitializerBytesAfter)}{ratio}");
        o.WriteLine($"On disk    {Bytes(r.OutputBytes)}");
        o.WriteLine($"Time       {r.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
        if (r.Tensors.Any(t => t.Sparsity is not null))
        {
            double mean = r.Tensors.Where(t => t.Sparsity is not null).Average(t => t.Sparsity!.Value);
            o.WriteLine($"Sparsity   {mean.ToString("P1", CultureInfo.InvariantCulture)} mean over pruned tensors");
        }
        if (!verbose) return;
        o.WriteLine();
        foreach (var t in r.Tensors)
        {
            string sparsity = t.Sparsity is double s ? "  sparsity " + s.ToString("P1", CultureInfo.InvariantCulture) : "";
            o.WriteLine($"  {t.Name}  [{string.Join(", ", t.Shape)}]  {Bytes(t.BytesBefore)} -> {Bytes(t.BytesAfter)}  {t.Format}{sparsity}");
        }
        foreach (var m in r.Messages.Where(m => m.Level == MessageLevel.Info)) o.WriteLine("  info: " + m.Text);
    }

    internal static string Describe(QuantizationOptions o) => o.Precision switch
    {
        Precision.Int4 or Precision.Int8Weight => $"{QuantizationNames.Format(o.Precision)} (MatMulNBits, block {o.BlockSize}, {(o.Symmetric ? "symmetric" : "asymmetric")}"
            + (o.QuantizeEmbeddings ? ", embeddings too" : "") + (o.ScaleSearch ? "" : ", round to nearest")
            + (o.Precision == Precision.Int4 && o.Int8Layers.Count > 0 ? $", {o.Int8Layers.Count} layer{(o.Int8Layers.Count == 1 ? "" : "s")} int8" : "") + ")",
        Precision.Int8 => $"int8 dynamic ({o.Int8Format}, weights {o.ResolvedInt8Weights})",
        Precision.Qdq => $"qdq ({QuantizationNames.QdqActivationTypes[(int)o.ActivationType]} activations, {QuantizationNames.QdqWeightTypes[(int)o.QdqWeights]} weights)",
        _ => QuantizationNames.Format(o.Precision),
    } + (o.Pruning is null ? "" : $", pruned {o.Pruning}");
}
