using System.Text.RegularExpressions;

namespace SlmOps.Quantization;

/// <summary>Include/exclude selection by node or initializer name, with <c>*</c> and <c>?</c> wildcards (case-sensitive, whole name).</summary>
internal sealed class NameSelection
{
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;

    public NameSelection(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        _include = include.Select(ToRegex).ToArray();
        _exclude = exclude.Select(ToRegex).ToArray();
    }

    /// <summary>True when any of <paramref name="names"/> is included (or nothing is listed) and none is excluded.</summary>
    public bool IsSelected(params string[] names) =>
        (_include.Length == 0 || names.Any(n => _include.Any(r => r.IsMatch(n))))
        && !names.Any(n => _exclude.Any(r => r.IsMatch(n)));

    /// <summary>True when an include pattern is listed and matches any of <paramref name="names"/> (the exclude list is not read).</summary>
    public bool Matches(params string[] names) => _include.Length > 0 && names.Any(n => _include.Any(r => r.IsMatch(n)));

    private static Regex ToRegex(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
            throw new QuantizationException(QuantizationErrorCodes.InvalidOptions, null, "An include or exclude pattern is empty.");
        string body = Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal);
        return new Regex("^" + body + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }
}
