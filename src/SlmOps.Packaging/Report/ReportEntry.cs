namespace SlmOps.Packaging;

/// <summary>
/// One model × target of a <see cref="ValidationReport"/>: its manifest (for a variant that failed in
/// <c>ValidationMode="error"</c>, the manifest it would have had, which was not written) and whether it shipped.
/// </summary>
public sealed record ReportEntry(VariantManifest Manifest, bool Shipped)
{
    /// <summary><c>passed</c>, <c>failed</c> (did not ship), <c>warned</c> (failed with ValidationMode=warn, shipped) or <c>not validated</c>.</summary>
    public string Status => Manifest.Validation switch
    {
        null => "not validated",
        { Passed: true } => "passed",
        _ => Shipped ? "warned" : "failed",
    };

    /// <summary>The variant's files together.</summary>
    public long VariantBytes => Manifest.Files.Sum(f => f.Size);

    /// <summary>The variant's size over its source model file's (the manifest records the source's .onnx file, not its external data).</summary>
    public double SizeRatio => Manifest.Source.Size == 0 ? 0 : (double)VariantBytes / Manifest.Source.Size;
}
