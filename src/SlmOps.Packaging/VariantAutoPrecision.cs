namespace SlmOps.Packaging;

/// <summary>
/// What <c>Precision="auto"</c> explored and chose, for the manifest: the candidate that shipped, the layers it keeps
/// at 8 bits (a mixed int4/int8 variant), and every candidate tried in order, with its size and binding gates (the
/// size / accuracy frontier the search saw).
/// </summary>
/// <param name="Chosen">The candidate that shipped, as <see cref="VariantTrial.Candidate"/> names it.</param>
/// <param name="Int8Layers">The weights kept at 8 bits in an int4 variant (<c>Int8Layers</c> pins the same choice).</param>
/// <param name="Explored">The candidates tried, in order.</param>
public sealed record VariantAutoPrecision(string Chosen, IReadOnlyList<string> Int8Layers, IReadOnlyList<VariantTrial> Explored);

/// <summary>One candidate <c>Precision="auto"</c> tried: e.g. <c>int4 + 5/40 int8</c>, its bytes, whether it passed every check, and its binding gates.</summary>
public sealed record VariantTrial(string Candidate, long Bytes, bool Passed, IReadOnlyList<VariantGate> Gates);
