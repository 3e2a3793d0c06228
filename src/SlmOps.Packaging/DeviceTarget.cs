namespace SlmOps.Packaging;

/// <summary>
/// What a variant is made for: today a .NET runtime identifier such as <c>linux-arm64</c> (the project's
/// <c>$(RuntimeIdentifier)</c>, <c>$(SlmOpsTarget)</c> or the build machine's). Device profiles (<c>rpi5</c>,
/// <c>jetson-orin</c>) will resolve to one of these with settings of their own.
/// </summary>
public sealed record DeviceTarget
{
    /// <summary>The CPU architectures that end a .NET runtime identifier.</summary>
    private static readonly string[] Architectures =
        ["x64", "x86", "arm64", "arm", "armel", "armv6", "s390x", "ppc64le", "loongarch64", "riscv64", "mips64", "wasm"];

    private DeviceTarget(string name, string? architecture)
    {
        Name = name;
        Architecture = architecture;
    }

    /// <summary>The target as the build names it, e.g. <c>linux-x64</c>; the variant folder has this name.</summary>
    public string Name { get; }

    /// <summary>
    /// The CPU architecture (<c>x64</c>, <c>arm64</c>, …) when <see cref="Name"/> is a runtime identifier that ends in
    /// one (<c>linux-musl-arm64</c>, <c>win10-x64</c>); null otherwise, and the engine then uses its portable defaults.
    /// </summary>
    public string? Architecture { get; }

    /// <summary>Reads a target name. Never fails: a name that is not a RID has no architecture.</summary>
    public static DeviceTarget Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int dash = name.LastIndexOf('-');
        string last = dash < 0 ? "" : name[(dash + 1)..].ToLowerInvariant();
        return new DeviceTarget(name, Array.IndexOf(Architectures, last) >= 0 ? last : null);
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
