using SlmOps.Contracts;
using SlmOps.Onnx;
using SlmOps.Packaging;
using SlmOps.Quantization;
using SlmOps.Validation;

namespace SlmOps.Cli;

/// <summary>
/// Prepares one model in named steps, all or nothing: <see cref="Inspect"/> (load, check the hash, write the
/// contract), <see cref="MakeVariant"/> (quantize, or copy a pass-through; or keep the variant an earlier run made
/// with the same settings, <see cref="VariantKey"/>), <see cref="Validate"/> (ONNX Runtime checks and gates), then
/// <see cref="Package"/> (manifest and summary), and the deps file last. A failing step reports a coded error and
/// discards everything the model wrote; a failed gate keeps the variant itself, so that changing the gate
/// validates it again without making it again.
/// </summary>
internal sealed class ModelPreparer(DiagnosticWriter diagnostics, string toolVersion, Heartbeat? heartbeat = null)
{
    /// <summary>Tests only: runs first in <see cref="Prepare"/>, so a test can make it fail the way a bug would.</summary>
    internal static Action<ModelRequest>? FaultForTests { get; set; }

    /// <summary>
    /// The validation report's entry of every model this preparer made a variant for, by manifest path: shipped, or
    /// stopped by a failed check (its manifest is then not written, and this entry is the only record of why).
    /// </summary>
    public Dictionary<string, ReportEntry> Reported { get; } = new(StringComparer.Ordinal);

    /// <summary>Returns false after reporting an error; nothing is left behind for the model then.</summary>
    public bool Prepare(ModelRequest request, bool designTime)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outputs = new ModelOutputs(request);
        try
        {
            FaultForTests?.Invoke(request);
            if (request.FromPackage)
            {
                TakeFromPackage(request, outputs, clock);
                outputs.Commit([request.Source]);
                return true;
            }

            using var source = Inspect(request, outputs);
            if (designTime)
            {
                outputs.KeepPreviousVariant();
            }
            else
            {
                var variant = MakeVariant(request, source, outputs);
                // What ships, and so what the size budget and the report count: the model's files, its tokenizer's and its generation settings.
                variant = variant with { Files = [.. variant.Files, .. ShipCompanions(request, source, outputs)] };
                var validation = Validate(request, source, variant, outputs, variant.Checked);
                if (validation is null) return false;
                Package(request, source, variant, validation.Value.Manifest, validation.Value.Summary, outputs, clock.Elapsed);
            }

            var inputs = new[] { source.Model.FilePath }.Concat(source.Model.ExternalDataFiles.Select(f => f.FullPath)).Concat(outputs.ExtraInputs);
            if (request.Quantize.CalibrationRanges.Length > 0) inputs = inputs.Append(request.Quantize.CalibrationRanges);
            inputs = inputs.Concat(VariantKey.SampleFiles(request));
            outputs.Commit(inputs);
            return true;
        }
        catch (SlmException ex)
        {
            Discard(outputs);
            diagnostics.Error(ex.Code, ex.FilePath ?? request.Source, $"SlmModel '{request.Name}': {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Discard(outputs);
            diagnostics.Error(OnnxErrorCodes.FileAccessFailed, request.Source,
                $"Preparing model '{request.Name}' failed while reading or writing files: {ex.Message} Check permissions and free disk space under '{request.VariantDirectory}'.");
        }
        catch (Exception ex)
        {
            // The last line: whatever a model does to the code above ends as a coded error about that model, and the
            // other models of the build are still prepared.
            Discard(outputs);
            diagnostics.Error(CliErrorCodes.InternalError, request.Source, InternalErrorMessage($"Preparing SlmModel '{request.Name}'", ex));
        }
        return false;
    }

    /// <summary>Removes the model's outputs and its report entry: a model that did not prepare is in the build log, not the report.</summary>
    private void Discard(ModelOutputs outputs)
    {
        Reported.Remove(outputs.ManifestPath);
        outputs.Discard();
    }

    /// <summary>The text of an SLM1008 error: what failed, the exception, and what to do.</summary>
    internal static string InternalErrorMessage(string what, Exception ex) =>
        $"{what} failed with an internal error ({ex.GetType().Name}: {ex.Message}). This is a bug in SlmOps, not in your project: please report it with this message and the output of 'slmops inspect' on the model.";

    /// <summary>The source model, loaded and checked, and the contract written from it.</summary>
    private sealed record Source(OnnxModel Model, ModelContract Contract) : IDisposable
    {
        public void Dispose() => Model.Dispose();
    }

    /// <summary>
    /// The variant as written: the options it was made with, its files, what quantization did (null: a copy), with
    /// <c>Precision="auto"</c> what the search tried, and the checks it has been through already (the search's).
    /// </summary>
    private sealed record Variant(QuantizationOptions Options, IReadOnlyList<VariantFile> Files, VariantQuantization? Quantization,
        VariantAutoPrecision? Auto = null, ValidationResult? Checked = null)
    {
        public bool IsCopy => Quantization is null;
    }

    /// <summary>Inspect: loads the model (payloads stay in the file), checks its SHA-256, writes the contract.</summary>
    private Source Inspect(ModelRequest request, ModelOutputs outputs)
    {
        heartbeat?.Step("reading and hashing the model");
        // Payloads stay in the file: the contract needs only the graph, and the quantizer streams the weights.
        var model = OnnxModelLoader.Load(request.Source, new OnnxLoadOptions { DeferPayloadsOfAtLeast = 4096, AllowHardLinks = request.AllowHardLinks });
        try
        {
            string sha = model.Sha256!;
            if (request.Sha256.Length > 0 && !string.Equals(sha, request.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new OnnxModelException(OnnxErrorCodes.Sha256Mismatch, model.FilePath,
                    $"The model's SHA-256 is {sha} but {request.Sha256} is expected (the Sha256 metadata of the SlmModel item). " +
                    "The file changed or is not the one you meant; if the change is intended, update Sha256.");
            }

            var contract = model.Inspect().ToContract(request.Name, request.Namespace, request.Kind, sha);
            AtomicFile.WriteAllText(outputs.ContractPath, ContractJson.Write(contract));
            outputs.Add(outputs.ContractPath);
            return new Source(model, contract);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An <c>SlmModelPackage</c>: verifies the package against its manifests (SLM5002), takes the variant for the
    /// target (SLM5004 when it has none), extracts exactly the bytes it verified, writes the contract from that
    /// variant (the package's own contract is not trusted) and the package's manifest, with the package named in it.
    /// Nothing is made or validated again: the producer's build validated the variant, and its manifest says how.
    /// </summary>
    private void TakeFromPackage(ModelRequest request, ModelOutputs outputs, System.Diagnostics.Stopwatch clock)
    {
        heartbeat?.Step("verifying the model package");
        if (request.TrustedSignersFrom.Length > 0) ModelSignature.VerifyAsync(request.Source, request.TrustedSignersFrom).GetAwaiter().GetResult();
        VerifiedPackage package = ModelPackage.Verify(request.Source);
        PackagedVariant variant = package.Select(request.Target) ?? throw new ModelPackageException(ModelPackageException.NoVariant, request.Source,
            $"The model package {package.Id} {package.Version} has no variant for the target '{request.Target.Name}' ({request.Target.RuntimeIdentifier}, {request.Target.ExecutionProvider}); " +
            $"it has {string.Join(", ", package.Variants.Select(v => $"{v.Manifest.Target.Name} ({v.Manifest.Target.RuntimeIdentifier}, {v.Manifest.Target.ExecutionProvider})"))}. " +
            "Build for a target the package has (an SlmTarget of that name, or its RID), or use a version of the package made for this one.");

        heartbeat?.Step("extracting the variant");
        ModelPackage.Extract(package, variant, request.VariantDirectory, outputs.Add);
        VariantManifest manifest = variant.Manifest with { Package = new VariantPackage(package.Id, package.Version) };
        // Extract hashed every file as it wrote it; the loader only reads the graph for the contract.
        using (var model = OnnxModelLoader.Load(outputs.VariantPath, new OnnxLoadOptions { DeferPayloadsOfAtLeast = 4096, ComputeSha256 = false }))
        {
            var contract = model.Inspect().ToContract(request.Name, request.Namespace, request.Kind == ModelKinds.Auto ? manifest.Kind : request.Kind, manifest.Source.Sha256);
            AtomicFile.WriteAllText(outputs.ContractPath, ContractJson.Write(contract));
            outputs.Add(outputs.ContractPath);
        }

        AtomicFile.WriteAllText(outputs.ManifestPath, manifest.ToJson());
        outputs.Add(outputs.ManifestPath);
        Reported[outputs.ManifestPath] = new ReportEntry(manifest, Shipped: true);
        diagnostics.Summary($"SlmOps: {request.Name} ({request.Target}): {manifest.Precision}, {InspectCommand.FormatBytes(manifest.Files.Sum(f => f.Size))}, " +
            $"from {package.Id} {package.Version} (its variant for {manifest.Target.Name}, " +
            (manifest.Validation is { } validation ? VariantChecks.Summary(validation, manifest.Quantization is null) : "not validated by its build") +
            $"), {clock.Elapsed.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} s");
    }

    /// <summary>
    /// Make the variant: for the request's target, quantized by the engine or copied as is; with
    /// <c>Precision="auto"</c>, the candidate <see cref="PrecisionSearch"/> chooses.
    /// </summary>
    private Variant MakeVariant(ModelRequest request, Source source, ModelOutputs outputs)
    {
        var options = request.Quantize.ToOptions(request.Target);
        string key = VariantKey.Of(request, source.Model.Sha256!, toolVersion);
        if (VariantKey.TryReuse(outputs, key) is { } previous)
        {
            // Touched, as a rewrite would: the build compares the outputs' times with the inputs' (a touched model
            // whose bytes did not change would otherwise stay older than its source, and stale forever).
            var now = DateTime.UtcNow;
            foreach (string path in previous.Files.Select(f => outputs.VariantFilePath(f.Path)).Append(outputs.VariantKeyPath))
            {
                File.SetLastWriteTimeUtc(path, now);
                outputs.Add(path);
            }

            diagnostics.Progress($"SlmOps: {request.Name} ({request.Target}): the variant made with these settings is unchanged; validating it again");
            if (previous.Auto is { } auto && previous.Precision is { } chosen)
                options = options with { Precision = QuantizationNames.ParsePrecision(chosen), Int8Layers = auto.Int8Layers };
            return new Variant(options, previous.Files, previous.Quantization, previous.Auto);
        }

        PrecisionSearch.Outcome? search = null;
        if (request.Quantize.IsAuto)
        {
            var (mode, gates, budgets) = VariantChecks.Read(request.Quantize, PrecisionSearch.Auto, source.Contract.Kind);
            if (mode == ValidationMode.Off)
            {
                throw new ValidationException(ValidationCodes.InvalidSettings, null,
                    "Precision=\"auto\" chooses the precision by validating candidates, and ValidationMode=\"off\" turns validation off. Set ValidationMode to error or warn, or choose a Precision.");
            }

            search = new PrecisionSearch(diagnostics, heartbeat).Run(request, source.Model, source.Contract.Kind, gates, budgets);
            options = search.Chosen.Options ?? options with { Precision = Precision.Fp32 };
        }

        Variant variant;
        if (search is { Chosen.Options: null } || (search is null && request.Quantize.IsPassThrough))
        {
            heartbeat?.Step("copying the model");
            variant = new Variant(options, CopyVariant(request, source.Model, outputs), null);
        }
        else
        {
            if (options.Precision == Precision.Qdq && options.Ranges is null && VariantChecks.Calibrate(source.Model.FilePath, options, request.Quantize) is { } ranges)
            {
                heartbeat?.Step("calibrating on the sample data");
                options = options with { Ranges = ranges };
                diagnostics.Progress($"SlmOps: {request.Name} ({request.Target}): calibrated {ranges.Count} activations on {ranges.Samples} samples of {request.Quantize[ModelSettings.SampleData]}");
            }

            heartbeat?.Step($"quantizing to {QuantizationNames.Format(options.Precision)}");
            variant = QuantizeVariant(request, source.Model, options, outputs);
        }

        if (search is not null) variant = variant with { Auto = search.ToManifest(), Checked = search.Chosen.Result };
        outputs.Add(outputs.VariantKeyPath);
        new VariantKey(key, variant.Quantization, variant.Files, QuantizationNames.Format(options.Precision), variant.Auto).Save(outputs.VariantKeyPath);
        return variant;
    }

    /// <summary>
    /// Validate: runs the variant in ONNX Runtime (against the original unless it is a copy) and holds it to the
    /// gates. Returns the manifest section and summary text (both null when ValidationMode is off), or null after
    /// reporting the failed checks as errors: the model's outputs are then discarded, except the variant and its key.
    /// </summary>
    /// <param name="measured">The checks run already, by <see cref="PrecisionSearch"/> on these bytes; null: run them.</param>
    private (VariantValidation? Manifest, string? Summary)? Validate(ModelRequest request, Source source, Variant variant, ModelOutputs outputs, ValidationResult? measured)
    {
        string precision = QuantizationNames.Format(variant.Options.Precision);
        var (mode, gates, budgets) = VariantChecks.Read(request.Quantize, variant.Auto is null ? precision : PrecisionSearch.Auto, source.Contract.Kind);
        if (mode == ValidationMode.Off) return (null, null);

        heartbeat?.Step("validating the variant in ONNX Runtime");
        ValidationResult result = measured ?? VariantChecks.Run(source.Model.FilePath, outputs.VariantPath, variant.IsCopy, source.Contract.Kind, gates, request.Quantize);
        bool onTarget = request.Target.SharesArchitectureWith(System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier);
        if (!onTarget && (budgets.MaxLoadTime ?? budgets.MaxLatency ?? budgets.MaxMemory) is not null)
        {
            diagnostics.Info(ValidationCodes.BudgetExceeded, request.Source,
                $"SlmModel '{request.Name}' ({request.Target}): the load time, latency and memory budgets are not checked: they are measured on this {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier} machine, not on {request.Target}.");
        }

        if (measured is null) result = VariantChecks.HoldTo(result, budgets, variant.Files.Sum(f => f.Size), onTarget);
        string subject = $"SlmModel '{request.Name}' ({request.Target}, {(variant.Auto is { } auto ? $"auto: {auto.Chosen}" : precision)})";
        foreach (ValidationFailure failure in result.Failures)
        {
            string message = $"{subject}: {failure.Message}";
            if (mode == ValidationMode.Error) diagnostics.Error(failure.Code, request.Source, message);
            else diagnostics.Warning(failure.Code, request.Source, message + " (ValidationMode=\"warn\": the variant ships anyway)");
        }

        VariantValidation validation = VariantChecks.ToManifest(result, mode);
        if (!result.Passed && mode == ValidationMode.Error)
        {
            Reported[outputs.ManifestPath] = new ReportEntry(Manifest(request, source, variant, validation), Shipped: false);
            outputs.DiscardExcept([outputs.VariantKeyPath, .. variant.Files.Select(f => outputs.VariantFilePath(f.Path))]);
            return null;
        }

        return (validation, VariantChecks.Summary(validation, variant.IsCopy));
    }

    /// <summary>Package: the manifest beside the variant, and the one summary line a build shows.</summary>
    private void Package(ModelRequest request, Source source, Variant variant, VariantValidation? validation, string? validationSummary, ModelOutputs outputs, TimeSpan elapsed)
    {
        var manifest = Manifest(request, source, variant, validation);
        AtomicFile.WriteAllText(outputs.ManifestPath, manifest.ToJson());
        outputs.Add(outputs.ManifestPath);
        if (manifest.MeasurementsToJson() is { } measurements)
        {
            AtomicFile.WriteAllText(outputs.MeasurementsPath, measurements);
            outputs.Add(outputs.MeasurementsPath);
        }
        Reported[outputs.ManifestPath] = new ReportEntry(manifest, Shipped: true);

        long before = source.Model.FileLength + source.Model.ExternalDataFiles.Sum(f => f.FileLength);
        diagnostics.Summary($"SlmOps: {request.Name} ({request.Target}): {(manifest.Auto is { } auto ? $"auto: {auto.Chosen}" : manifest.Precision)}, " +
            $"{InspectCommand.FormatBytes(before)} -> {InspectCommand.FormatBytes(variant.Files.Sum(f => f.Size))}, " +
            (validationSummary is null ? "" : validationSummary + ", ") +
            $"{elapsed.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} s");
    }

    private VariantManifest Manifest(ModelRequest request, Source source, Variant variant, VariantValidation? validation) =>
        new()
        {
            Name = request.Name,
            Version = request.Quantize.Optional(ModelSettings.Version),
            Channel = request.Quantize.Optional(ModelSettings.Channel),
            MinAppVersion = request.Quantize.Optional(ModelSettings.MinAppVersion),
            Kind = source.Contract.Kind,
            Target = request.Target,
            Precision = QuantizationNames.Format(variant.Options.Precision),
            Quantization = variant.Quantization,
            Auto = variant.Auto,
            Validation = validation,
            Source = new VariantFile(request.DisplayPath, source.Model.Sha256!, source.Model.FileLength),
            Files = variant.Files,
            ToolVersion = toolVersion,
        };

    /// <summary>
    /// What an embedding model or causal LM needs beside it at run time, copied into the variant folder so that it ships,
    /// and travels in model packages, with the variant: the tokenizer's files (the <c>Tokenizer</c> metadata, else
    /// <c>vocab.txt</c> or <c>vocab.json</c> with <c>merges.txt</c> beside the model) in <c>tokenizer/</c>, and for a
    /// causal LM the <c>genai_config.json</c> beside the model (end-of-sequence tokens, context length).
    /// </summary>
    private static IEnumerable<VariantFile> ShipCompanions(ModelRequest request, Source source, ModelOutputs outputs)
    {
        if (source.Contract.Kind is not (ModelKinds.Embedding or ModelKinds.CausalLm)) yield break;
        var files = SlmOps.Validation.SampleData.TokenizerFilesOf(request.Quantize.Optional(ModelSettings.Tokenizer), request.Source)
            .Select(file => (File: file, Relative: WorkerFiles.TokenizerFolder + "/" + Path.GetFileName(file)));
        string config = Path.Combine(Path.GetDirectoryName(source.Model.FilePath) ?? "", WorkerFiles.GenAiConfig);
        if (source.Contract.Kind == ModelKinds.CausalLm && File.Exists(config)) files = files.Append((config, WorkerFiles.GenAiConfig));
        foreach (var (file, relative) in files)
        {
            if (source.Model.ExternalDataFiles.Any(f => f.RelativePath.Replace('\\', '/').Equals(relative, StringComparison.OrdinalIgnoreCase)))
            {
                throw new OnnxModelException(OnnxErrorCodes.ExternalDataNameCollision, source.Model.FilePath,
                    $"The external-data location '{relative}' is where the SDK puts the model's {(relative == WorkerFiles.GenAiConfig ? "generation settings" : "tokenizer")}. Re-save the model's external data under another name.");
            }

            string target = outputs.VariantFilePath(relative);
            outputs.Add(target);
            using var input = File.OpenRead(file);
            var (sha, length) = AtomicFile.CopyWithSha256(input, target);
            outputs.AddInput(file);
            yield return new VariantFile(relative, sha, length);
        }
    }

    /// <summary>The quantized variant, written by the engine (model, plus one external-data file for big models).</summary>
    private Variant QuantizeVariant(ModelRequest request, OnnxModel model, QuantizationOptions options, ModelOutputs outputs)
    {
        string variantModel = outputs.VariantPath;
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
        var files = new List<VariantFile> { new(WorkerFiles.Variant, AtomicFile.Sha256Of(variantModel), new FileInfo(variantModel).Length) };
        if (result.DataPath is not null)
            files.Add(new(Path.GetFileName(result.DataPath), AtomicFile.Sha256Of(result.DataPath), new FileInfo(result.DataPath).Length));
        var quantization = new VariantQuantization(
            QuantizeCommand.Describe(options), result.Tensors.Count, result.InitializerBytesBefore, result.InitializerBytesAfter,
            result.Tensors.Any(t => t.Sparsity is not null) ? result.Tensors.Where(t => t.Sparsity is not null).Average(t => t.Sparsity!.Value) : null);
        return new Variant(options, files, quantization);
    }

    /// <summary>The pass-through variant: a byte copy of the model plus its external-data files at the same relative paths.</summary>
    private static List<VariantFile> CopyVariant(ModelRequest request, OnnxModel model, ModelOutputs outputs)
    {
        CheckNoCollisions(model);
        var files = new List<VariantFile>();
        string variantModel = outputs.VariantPath;
        long copied = AtomicFile.Copy(model.FilePath, variantModel);
        outputs.Add(variantModel);
        if (copied != model.FileLength)
        {
            throw new IOException($"'{model.FilePath}' changed while it was being prepared ({model.FileLength:N0} bytes read, {copied:N0} copied).");
        }
        files.Add(new(WorkerFiles.Variant, model.Sha256!, copied));

        foreach (var external in model.ExternalDataFiles)
        {
            // The loader has checked that the location is relative and has no '..', so this stays in the variant folder.
            string target = Path.GetFullPath(Path.Combine(request.VariantDirectory, external.RelativePath));
            using var stream = model.OpenExternalDataFile(external);
            var (sha, length) = AtomicFile.CopyWithSha256(stream, target);
            outputs.Add(target);
            files.Add(new(external.RelativePath, sha, length));
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
            if (WorkerFiles.ReservedNameOf(file.RelativePath) is { } first)
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
}
