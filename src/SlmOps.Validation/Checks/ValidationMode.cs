namespace SlmOps.Validation;

/// <summary>What a failed check does to the build (<c>ValidationMode</c> metadata).</summary>
public enum ValidationMode
{
    /// <summary>A failed check is an error: the build fails and the variant does not ship. The default.</summary>
    Error,

    /// <summary>A failed check is a warning; the variant ships, and its manifest says it failed.</summary>
    Warn,

    /// <summary>No checks run; the manifest has no validation section.</summary>
    Off,
}

/// <summary>The names of <see cref="ValidationMode"/> as metadata spell them.</summary>
public static class ValidationModes
{
    /// <summary><c>error</c>, <c>warn</c>, <c>off</c>; empty is <see cref="ValidationMode.Error"/>.</summary>
    /// <exception cref="FormatException">Any other text; the message lists the modes.</exception>
    public static ValidationMode Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "" or "error" => ValidationMode.Error,
        "warn" or "warning" => ValidationMode.Warn,
        "off" or "none" => ValidationMode.Off,
        _ => throw new FormatException($"ValidationMode=\"{text}\" is not a mode: use error (the default: a failed check fails the build), warn, or off."),
    };

    /// <summary>The mode as metadata spell it.</summary>
    public static string Format(ValidationMode mode) => mode.ToString().ToLowerInvariant();
}
