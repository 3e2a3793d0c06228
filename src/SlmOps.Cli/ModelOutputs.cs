namespace SlmOps.Cli;

/// <summary>
/// The files one model's preparation writes, and those an earlier run wrote (its deps file): so that a success
/// records exactly what it wrote and removes what it no longer makes, and a failure leaves nothing half valid.
/// </summary>
internal sealed class ModelOutputs
{
    private readonly ModelRequest _request;
    private readonly List<string> _written = [];
    private readonly List<string> _previous;

    public ModelOutputs(ModelRequest request)
    {
        _request = request;
        _previous = ReadPreviousOutputs(DepsPath);
    }

    public string ContractPath => _request.ModelDirectory + WorkerFiles.Contract;

    public string VariantPath => _request.VariantDirectory + WorkerFiles.Variant;

    public string ManifestPath => _request.VariantDirectory + WorkerFiles.Manifest;

    public string VariantKeyPath => _request.VariantDirectory + WorkerFiles.VariantKey;

    public string MeasurementsPath => _request.VariantDirectory + WorkerFiles.Measurements;

    /// <summary>The full path of a variant file the manifest or key lists relative to the variant folder.</summary>
    public string VariantFilePath(string relative) => Path.GetFullPath(Path.Combine(_request.VariantDirectory, relative));

    /// <summary>Whether <paramref name="path"/> (full) is inside the variant folder.</summary>
    public bool InVariantDirectory(string path) => path.StartsWith(_request.VariantDirectory, StringComparison.Ordinal);

    private string DepsPath => _request.VariantDirectory + WorkerFiles.Deps;

    private readonly List<string> _extraInputs = [];

    /// <summary>Files read besides the model and the settings' files (the shipped tokenizer), for the deps file.</summary>
    public IReadOnlyList<string> ExtraInputs => _extraInputs;

    public void AddInput(string path) => _extraInputs.Add(path);

    /// <summary>Records a file before (or as) it is written, so a failure removes it.</summary>
    public void Add(string path) => _written.Add(path);

    public void Remove(string path) => _written.Remove(path);

    /// <summary>A design-time run leaves an earlier full build's variant alone; it stays listed so Clean removes it.</summary>
    public void KeepPreviousVariant() =>
        _written.AddRange(_previous.Where(p => p != DepsPath && !_written.Contains(p) && File.Exists(p) && IsOwned(p)));

    /// <summary>Writes the deps file (what was read, what was written) and removes earlier outputs no longer made.</summary>
    public void Commit(IEnumerable<string> inputs)
    {
        _written.Add(DepsPath);
        AtomicFile.WriteAllText(DepsPath, DepsFile.Format(inputs, _written));
        foreach (string stale in _previous.Where(p => !_written.Contains(p) && IsOwned(p)))
            TryDelete(stale);
    }

    /// <summary>Removes everything this model wrote now and every earlier output of it, so no half-valid state is left.</summary>
    public void Discard() => DiscardExcept([]);

    /// <summary>
    /// After a failed gate: removes everything but <paramref name="keep"/> (the variant's files and its key), so that
    /// the build sees the model as stale (no manifest, no deps file) while the next run can validate the same variant
    /// again (<see cref="VariantKey"/>). Files without a deps file that lists them are never copied to the output.
    /// </summary>
    public void DiscardExcept(IReadOnlyCollection<string> keep)
    {
        var all = _written.Concat(_previous.Where(IsOwned)).Concat([ContractPath, VariantPath, ManifestPath, DepsPath]);
        foreach (string path in all.Distinct(StringComparer.Ordinal).Where(p => !keep.Contains(p))) TryDelete(path);
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

    /// <summary>Only files under the model's own output folders are ever deleted, whatever an old deps file says.</summary>
    private bool IsOwned(string path) =>
        path == ContractPath
        || (path.StartsWith(_request.VariantDirectory, StringComparison.Ordinal) && !path.Contains(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal));

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
