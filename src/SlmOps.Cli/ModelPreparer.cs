using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SlmOps.Contracts;
using SlmOps.Onnx;
using SlmOps.Quantization;

namespace SlmOps.Cli;

/// <summary>Prepares one model: check, hash, contract, variant, manifest, deps. All or nothing per model.</summary>
internal sealed class ModelPreparer(DiagnosticWriter diagnostics, string toolVersion, Heartbeat? heartbeat = null)
{
    /// <summary>Tests only: runs first in <see cref="Prepare"/>, so a test can make it fail the way a bug would.</summary>
    internal static Action<ModelRequest>? FaultForTests { get; set; }

    /// <summary>Returns false after reporting an error; nothing is left behind for the model then.</summary>
    public bool Prepare(ModelRequest request, bool designTime)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outputs = new List<string>();
        string contractPath = request.ModelDirectory + WorkerFiles.Contract;
        string depsPath = request.VariantDirectory + WorkerFiles.Deps;
        var previousOutputs = ReadPreviousOutputs(depsPath);
        try
        {
            FaultForTests?.Invoke(request);
            heartbeat?.Step("reading and hashing the model");
            // Payloads stay in the file: the contract needs only the graph, and the quantizer streams the weights.
            using var model = OnnxModelLoader.Load(request.Source, new OnnxLoadOptions { DeferPayloadsOfAtLeast = 4096, AllowHardLinks = request.AllowHardLinks });
            string sha = model.Sha256!;
            if (request.Sha256.Length > 0 && !string.Equals(sha, request.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new OnnxModelException(OnnxErrorCodes.Sha256Mismatch, model.FilePath,
                    $"The model's SHA-256 is {sha} but {request.Sha256} is expected (the Sha256 metadata of the SlmModel item). " +
                    "The file changed or is not the one you meant; if the change is intended, update Sha256.");
            }

            var contract = model.Inspect().ToContract(request.Name, request.Namespace, request.Kind, sha);

            AtomicFile.WriteAllText(contractPath, ContractJson.Write(contract));
            outputs.Add(contractPath);

            if (!designTime)
            {
                var options = request.Quantize.ToOptions(request.Target);
                heartbeat?.Step(request.Quantize.IsPassThrough ? "copying the model" : $"quantizing to {QuantizationNames.Format(options.Precision)}");
                var (files, quantization) = request.Quantize.IsPassThrough
                    ? (CopyVariant(request, model, outputs), null)
                    : QuantizeVariant(request, model, options, outputs);
                string manifestPath = request.VariantDirectory + WorkerFiles.Manifest;
                AtomicFile.WriteAllText(manifestPath, WriteManifest(request, contract.Kind, model, options, quantization, files));
                outputs.Add(manifestPath);
                long before = model.FileLength + model.ExternalDataFiles.Sum(f => f.FileLength);
                diagnostics.Summary($"SlmOps: {request.Name} ({request.Target}): {QuantizationNames.Format(options.Precision)}, " +
                    $"{InspectCommand.FormatBytes(before)} -> {InspectCommand.FormatBytes(files.Sum(f => f.Length))}, {clock.Elapsed.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} s");
            }
            else
            {
                // A design-time build leaves an earlier full build's variant alone; keep listing it so Clean removes it.
                outputs.AddRange(previousOutputs.Where(p => p != depsPath && !outputs.Contains(p) && File.Exists(p) && IsOwned(request, p)));
            }

            outputs.Add(depsPath);
            var inputs = new[] { model.FilePath }.Concat(model.ExternalDataFiles.Select(f => f.FullPath));
            if (request.Quantize.CalibrationRanges.Length > 0) inputs = inputs.Append(request.Quantize.CalibrationRanges);
            AtomicFile.WriteAllText(depsPath, DepsFile.Format(inputs, outputs));

            foreach (string stale in previousOutputs.Where(p => !outputs.Contains(p) && IsOwned(request, p)))
                TryDelete(stale);
            return true;
        }
        catch (OnnxModelException ex)
        {
            Discard(request, outputs, previousOutputs);
            diagnostics.Error(ex.Code, ex.FilePath, ex.Message);
        }
        catch (QuantizationException ex)
        {
            Discard(request, outputs, previousOutputs);
            diagnostics.Error(ex.Code, ex.FilePath ?? request.Source, $"SlmModel '{request.Name}': {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Discard(request, outputs, previousOutputs);
            diagnostics.Error(OnnxErrorCodes.FileAccessFailed, request.Source,
                $"Preparing model '{request.Name}' failed while reading or writing files: {ex.Message} Check permissions and free disk space under '{request.VariantDirectory}'.");
        }
        catch (Exception ex)
        {
            // The last line: whatever a model does to the code above ends as a coded error about that model, and the
            // other models of the build are still prepared.
            Discard(request, outputs, previousOutputs);
            diagnostics.Error(CliErrorCodes.InternalError, request.Source, InternalErrorMessage($"Preparing SlmModel '{request.Name}'", ex));
        }
        return false;
    }

    /// <summary>The text of an SLM1008 error: what failed, the exception, and what to do.</summary>
    internal static string InternalErrorMessage(string what, Exception ex) =>
        $"{what} failed with an internal error ({ex.GetType().Name}: {ex.Message}). This is a bug in SlmOps, not in your project: please report it with this message and the output of 'slmops inspect' on the model.";

    /// <summary>The quantized variant, written by the engine (model, plus one external-data file for big models).</summary>
    private (List<(string Path, string Sha256, long Length)>, QuantizationResult) QuantizeVariant(ModelRequest request, OnnxModel model, QuantizationOptions options, List<string> outputs)
    {
        string variantModel = request.VariantDirectory + WorkerFiles.Variant;
        outputs.Add(variantModel);
        outputs.Add(variantModel + ".data");
        var result = ModelQuantizer.Quantize(model, variantModel, options);
        if (result.DataPath is null) outputs.Remove(variantModel + ".data");
        foreach (var message in result.Messages)
        {
            if (message.Level == MessageLevel.Warning) diagnostics.Warning(message.Code!, model.FilePath, $"SlmModel '{request.Name}': {message.Text}");
            else diagnostics.Info("SLM3000", model.FilePath, $"SlmModel '{request.Name}': {message.Text}");
        }
        diagnostics.Progress($"SlmOps: {request.Name} ({request.Target}): {QuantizeCommand.Describe(options)}, {result.Tensors.Count} tensors, " +
            $"{result.InitializerBytesBefore:N0} -> {result.InitializerBytesAfter:N0} weight bytes");

        heartbeat?.Step("hashing the variant");
        var files = new List<(string, string, long)> { (WorkerFiles.Variant, AtomicFile.Sha256Of(variantModel), new FileInfo(variantModel).Length) };
        if (result.DataPath is not null)
            files.Add((Path.GetFileName(result.DataPath), AtomicFile.Sha256Of(result.DataPath), new FileInfo(result.DataPath).Length));
        return (files, result);
    }

    /// <summary>The pass-through variant: a byte copy of the model plus its external-data files at the same relative paths.</summary>
    private static List<(string Path, string Sha256, long Length)> CopyVariant(ModelRequest request, OnnxModel model, List<string> outputs)
    {
        CheckNoCollisions(model);
        var files = new List<(string, string, long)>();
        string variantModel = request.VariantDirectory + WorkerFiles.Variant;
        long copied = AtomicFile.Copy(model.FilePath, variantModel);
        outputs.Add(variantModel);
        if (copied != model.FileLength)
        {
            throw new IOException($"'{model.FilePath}' changed while it was being prepared ({model.FileLength:N0} bytes read, {copied:N0} copied).");
        }
        files.Add((WorkerFiles.Variant, model.Sha256!, copied));

        foreach (var external in model.ExternalDataFiles)
        {
            // The loader has checked that the location is relative and has no '..', so this stays in the variant folder.
            string target = Path.GetFullPath(Path.Combine(request.VariantDirectory, external.RelativePath));
            using var source = model.OpenExternalDataFile(external);
            var (sha, length) = AtomicFile.CopyWithSha256(source, target);
            outputs.Add(target);
            files.Add((external.RelativePath, sha, length));
        }
        return files;
    }

    /// <summary>
    /// The pass-through variant keeps the external-data files under their own names, beside the SDK's own files: a
    /// data file named like one of those (model.onnx, manifest.json, …) would replace it, or be replaced, and the
    /// wrong file would ship. Two data files whose names differ only in case would collide where case is ignored
    /// (macOS, Windows, NuGet packages). Both are refused before anything is copied.
    /// </summary>
    private static void CheckNoCollisions(OnnxModel model)
    {
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in model.ExternalDataFiles)
        {
            // Windows drops trailing dots and spaces from names, so 'model.onnx.' is 'model.onnx' there.
            string first = file.RelativePath.Split('/', '\\')[0].TrimEnd('.', ' ');
            if (WorkerFiles.VariantReserved.Contains(first, StringComparer.OrdinalIgnoreCase))
            {
                throw new OnnxModelException(OnnxErrorCodes.ExternalDataNameCollision, model.FilePath,
                    $"The external-data location '{file.RelativePath}' takes the name '{first}', which the SDK writes for every variant ({string.Join(", ", WorkerFiles.VariantReserved)}); the wrong file would ship. Re-save the model's external data under another name, e.g. onnx.save_model(model, path, save_as_external_data=True, location=\"model.onnx.data\").");
            }
            if (seen.TryGetValue(file.RelativePath, out string? other))
            {
                throw new OnnxModelException(OnnxErrorCodes.ExternalDataNameCollision, model.FilePath,
                    $"The external-data locations '{other}' and '{file.RelativePath}' differ only in case, so they are one file on macOS, on Windows and in NuGet packages. Re-save the model's external data under distinct names.");
            }
            seen.Add(file.RelativePath, file.RelativePath);
        }
    }

    private string WriteManifest(ModelRequest request, string kind, OnnxModel model, QuantizationOptions options, QuantizationResult? quantization,
        List<(string Path, string Sha256, long Length)> files)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 1);
            json.WriteString("name", request.Name);
            json.WriteString("kind", kind);
            json.WriteString("target", request.Target);
            json.WriteString("precision", QuantizationNames.Format(options.Precision));
            if (quantization is not null)
            {
                json.WriteStartObject("quantization");
                json.WriteString("settings", QuantizeCommand.Describe(options));
                json.WriteNumber("tensors", quantization.Tensors.Count);
                json.WriteNumber("weightBytesBefore", quantization.InitializerBytesBefore);
                json.WriteNumber("weightBytesAfter", quantization.InitializerBytesAfter);
                if (quantization.Tensors.Any(t => t.Sparsity is not null))
                    json.WriteNumber("meanSparsity", Math.Round(quantization.Tensors.Where(t => t.Sparsity is not null).Average(t => t.Sparsity!.Value), 4));
                json.WriteEndObject();
            }
            json.WriteStartObject("source");
            json.WriteString("path", request.DisplayPath);
            json.WriteString("sha256", model.Sha256);
            json.WriteNumber("size", model.FileLength);
            json.WriteEndObject();
            json.WriteStartArray("files");
            foreach (var file in files)
            {
                json.WriteStartObject();
                json.WriteString("path", file.Path);
                json.WriteString("sha256", file.Sha256);
                json.WriteNumber("size", file.Length);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartObject("tool");
            json.WriteString("name", "slmops");
            json.WriteString("version", toolVersion);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>The fully qualified <c>out</c> paths of an earlier deps file; empty when there is none or it cannot be read.</summary>
    private static List<string> ReadPreviousOutputs(string depsPath)
    {
        try
        {
            return DepsFile.TryRead(depsPath)?.Outputs.Where(Path.IsPathFullyQualified).ToList() ?? [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Removes everything this model wrote now and every earlier output of it, so no half-valid state is left.</summary>
    private static void Discard(ModelRequest request, List<string> written, List<string> previousOutputs)
    {
        var all = written.Concat(previousOutputs.Where(p => IsOwned(request, p))).Concat(
        [
            request.ModelDirectory + WorkerFiles.Contract,
            request.VariantDirectory + WorkerFiles.Variant,
            request.VariantDirectory + WorkerFiles.Manifest,
            request.VariantDirectory + WorkerFiles.Deps,
        ]);
        foreach (string path in all.Distinct(StringComparer.Ordinal)) TryDelete(path);
    }

    /// <summary>Only files under the model's own output folders are ever deleted, whatever an old deps file says.</summary>
    private static bool IsOwned(ModelRequest request, string path) =>
        path == request.ModelDirectory + WorkerFiles.Contract
        || (path.StartsWith(request.VariantDirectory, StringComparison.Ordinal) && !path.Contains(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
