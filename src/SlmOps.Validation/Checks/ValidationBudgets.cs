using System.Globalization;

namespace SlmOps.Validation;

/// <summary>
/// The device budgets a variant must fit (<c>MaxModelSize</c>, <c>MaxLoadTime</c>, <c>MaxLatency</c>,
/// <c>MaxMemory</c> metadata), in megabytes (10⁶ bytes) and milliseconds. A null budget is not checked. The time and
/// memory budgets are measured on the build machine, so they are held only when it has the target's architecture.
/// </summary>
public sealed record ValidationBudgets
{
    /// <summary>The variant's files together, in MB.</summary>
    public double? MaxModelSize { get; init; }

    /// <summary>ONNX Runtime's session creation, in ms.</summary>
    public double? MaxLoadTime { get; init; }

    /// <summary>The 95th percentile of a run on the first sample, in ms.</summary>
    public double? MaxLatency { get; init; }

    /// <summary>The working-set growth while the session is created, in MB.</summary>
    public double? MaxMemory { get; init; }

    /// <summary>The budget names, as metadata take them.</summary>
    public static IReadOnlyList<string> Names { get; } = [nameof(MaxModelSize), nameof(MaxLoadTime), nameof(MaxLatency), nameof(MaxMemory)];

    /// <summary>Whether any budget is set.</summary>
    public bool Any => MaxModelSize is not null || MaxLoadTime is not null || MaxLatency is not null || MaxMemory is not null;

    /// <summary>
    /// Budgets from metadata text: sizes a number of MB or with a unit (<c>20MB</c>, <c>512KB</c>, <c>1.5GB</c>), times
    /// a number of ms or with a unit (<c>15ms</c>, <c>2s</c>); empty or <c>none</c>: not checked.
    /// </summary>
    /// <exception cref="FormatException">A value that is not a size or a time; the message names the budget.</exception>
    public static ValidationBudgets Parse(string? modelSize, string? loadTime, string? latency, string? memory) => new()
    {
        MaxModelSize = Quantity(nameof(MaxModelSize), modelSize, Sizes, "a size such as 20MB, 512KB or 1.5GB"),
        MaxLoadTime = Quantity(nameof(MaxLoadTime), loadTime, Times, "a time such as 200ms or 2s"),
        MaxLatency = Quantity(nameof(MaxLatency), latency, Times, "a time such as 15ms or 0.5s"),
        MaxMemory = Quantity(nameof(MaxMemory), memory, Sizes, "a size such as 200MB or 1GB"),
    };

    private static readonly (string Unit, double Factor)[] Sizes = [("GB", 1000), ("MB", 1), ("KB", 0.001), ("B", 1e-6)];
    private static readonly (string Unit, double Factor)[] Times = [("ms", 1), ("s", 1000)];

    private static double? Quantity(string name, string? text, (string Unit, double Factor)[] units, string example)
    {
        string trimmed = (text ?? "").Trim();
        if (trimmed.Length == 0 || trimmed.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        double factor = 1;
        foreach (var (unit, f) in units)
        {
            if (trimmed.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                trimmed = trimmed[..^unit.Length].TrimEnd();
                factor = f;
                break;
            }
        }

        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value > 0
            ? value * factor
            : throw new FormatException($"{name}=\"{text}\" is not a budget: give {example}, or none.");
    }
}
