using System;
using System.Collections.Generic;
using System.Linq;
using SlmOps.Contracts;

namespace SlmOps.Build.Tasks
{
    /// <summary>
    /// The <c>SlmModel</c> metadata the SDK knows (docs/item-metadata.md), which precisions each setting applies to,
    /// and the checks that turn a misspelled or inapplicable metadata into a warning instead of silently shipping a
    /// model built with the defaults.
    /// </summary>
    internal static class ItemMetadata
    {
        /// <summary>
        /// The metadata that name the model rather than set how it is prepared (they pass as request fields), and
        /// <c>PackageId</c>, which names its model package (<c>SlmOpsPackModels</c>).
        /// </summary>
        private static readonly string[] Identity = { "Name", "Namespace", "Kind", "Sha256", "PackageId" };

        /// <summary>Every metadata the SDK knows: the identity, then the settings in request order.</summary>
        public static readonly string[] Known = Identity.Concat(ModelSettings.All.Select(s => s.Metadata)).ToArray();

        /// <summary>
        /// Warnings for one item: metadata the SDK does not know (with the closest known name when one is close), and
        /// settings that its precision ignores. <paramref name="ignored"/> are names other tools own.
        /// </summary>
        public static IEnumerable<(string Code, string Message)> Check(string itemSpec, IEnumerable<string> customNames, Func<string, string> value, ICollection<string> ignored)
        {
            string precision = ModelRules.NormalizePrecision(value(ModelSettings.Precision.Metadata));
            bool rewritten = !ModelRules.IsPassThrough(precision, value(ModelSettings.Prune.Metadata));
            foreach (string name in customNames.OrderBy(n => n, StringComparer.Ordinal))
            {
                if (ignored.Contains(name))
                {
                    continue;
                }

                string? known = Known.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
                if (known is null)
                {
                    string? close = Closest(name);
                    yield return ("SLM1010", $"SlmModel '{itemSpec}': the metadata '{name}' is not one the SDK knows, so it has no effect." +
                        (close is null ? "" : $" Did you mean '{close}'?") +
                        " The metadata are listed in docs/item-metadata.md; add the name to SlmOpsIgnoredMetadata if another tool reads it.");
                    continue;
                }

                if (value(known).Trim().Length == 0)
                {
                    continue;
                }

                ModelSetting? setting = ModelSettings.All.FirstOrDefault(s => s.Metadata == known);
                if (setting is null)
                {
                    continue;
                }

                if (setting.Precisions.Count > 0 && !setting.Precisions.Contains(precision))
                {
                    yield return ("SLM1011", $"SlmModel '{itemSpec}': {known}=\"{value(known)}\" has no effect with Precision=\"{precision}\"; it applies to {string.Join(" and ", setting.Precisions)}. Remove it, or change Precision.");
                }
                else if (setting.OnlyWhenRewritten && !rewritten)
                {
                    yield return ("SLM1011", $"SlmModel '{itemSpec}': {known}=\"{value(known)}\" has no effect with Precision=\"fp32\" and no Prune: the model is copied as is. Remove it, or set Precision or Prune.");
                }
            }
        }

        /// <summary>The known name nearest to <paramref name="name"/> when it is a likely typo (at most a third of its letters off).</summary>
        private static string? Closest(string name)
        {
            string? best = null;
            int bestDistance = int.MaxValue;
            foreach (string known in Known)
            {
                int distance = Distance(name.ToLowerInvariant(), known.ToLowerInvariant());
                if (distance < bestDistance)
                {
                    best = known;
                    bestDistance = distance;
                }
            }

            return bestDistance <= Math.Max(1, name.Length / 3) ? best : null;
        }

        /// <summary>Levenshtein distance with adjacent transpositions counted as one edit.</summary>
        private static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++)
            {
                d[i, 0] = i;
            }

            for (int j = 0; j <= b.Length; j++)
            {
                d[0, j] = j;
            }

            for (int i = 1; i <= a.Length; i++)
            {
                for (int j = 1; j <= b.Length; j++)
                {
                    int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                    if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    {
                        d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                    }
                }
            }

            return d[a.Length, b.Length];
        }
    }
}
