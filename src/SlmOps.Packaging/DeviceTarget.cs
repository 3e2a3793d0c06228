namespace SlmOps.Packaging;

/// <summary>
/// What a variant is made for: a .NET runtime identifier such as <c>linux-arm64</c> (the project's
/// <c>$(RuntimeIdentifier)</c> or the build machine's), or a device profile (<c>rpi5</c>, <c>jetson-orin</c>, or one a
/// project defines with <c>SlmTarget</c>) that runs under a RID with an execution provider of its own.
/// </summary>
public sealed record DeviceTarget
{
    private DeviceTarget(string name, string runtimeIdentifier, string executionProvider, string? architecture)
    {
        Name = name;
        RuntimeIdentifier = runtimeIdentifier;
        ExecutionProvider = executionProvider;
        Architecture = architecture;
    }

    /// <summary>The target as the build names it, e.g. <c>linux-x64</c> or <c>rpi5</c>; the variant folder has this name.</summary>
    public string Name { get; }

    /// <summary>The RID the target runs under: <see cref="Name"/> for a plain RID, the profile's for a device profile.</summary>
    public string RuntimeIdentifier { get; }

    /// <summary>The ONNX Runtime execution provider the variant is meant for (<c>cpu</c> unless a profile says otherwise).</summary>
    public string ExecutionProvider { get; }

    /// <summary>True for a device profile: a name other than its RID, or an execution provider other than the CPU.</summary>
    public bool IsProfile => Name != RuntimeIdentifier || ExecutionProvider != "cpu";

    /// <summary>
    /// The CPU architecture (<c>x64</c>, <c>arm64</c>, …) when <see cref="RuntimeIdentifier"/> ends in one
    /// (<c>linux-musl-arm64</c>, <c>win10-x64</c>); null otherwise, and the engine then uses its portable defaults.
    /// </summary>
    public string? Architecture { get; }

    /// <summary>
    /// Reads a target: its name, and for a device profile the RID it runs under and its execution provider. Never
    /// fails: a RID that does not end in a known architecture has none.
    /// </summary>
    public static DeviceTarget Parse(string name, string? runtimeIdentifier = null, string? executionProvider = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        string rid = runtimeIdentifier ?? name;
        return new DeviceTarget(name, rid, executionProvider ?? "cpu", RuntimeIdentifiers.ArchitectureOf(rid));
    }

    /// <summary>
    /// Whether a machine of runtime identifier <paramref name="hostRid"/> has this target's CPU architecture, so that
    /// what it measures (load time, latency, memory) says something about the target; true when either is unknown.
    /// </summary>
    public bool SharesArchitectureWith(string hostRid) =>
        Architecture is null || Parse(hostRid).Architecture is not { } host || host == Architecture;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
