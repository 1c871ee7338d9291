using System.Globalization;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Fuzzing;

/// <summary>
/// Follows a problem's field path (<c>resources[0].health_checks[1].timeout</c>) through the node tree of the file it
/// was reported for, so a check can insist that every error points at a real place.
/// </summary>
/// <remarks>
/// Keys are written into paths as the file spells them and may themselves hold <c>.</c> or <c>[</c>, so a segment is
/// matched against the keys that are there, and every key the path continues with is tried (longest first). A budget
/// bounds that search on adversarial keys; past it the path counts as found, so the checker never hangs and never
/// reports a failure it did not prove.
/// </remarks>
internal static class ConfigPathResolver
{
    private const int StepBudget = 10_000;

    private static readonly ConfigMapping EmptyMessage = new(0, []);

    public static ConfigPathResolution Resolve(ConfigNode? root, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return ConfigPathResolution.Found;
        }

        var budget = StepBudget;
        return Resolve(root, path, ref budget);
    }

    private static ConfigPathResolution Resolve(ConfigNode? node, ReadOnlySpan<char> rest, ref int budget)
    {
        // An empty document reads as an empty message (Envoy: an empty DiscoveryResponse), so its fields are absent.
        node ??= EmptyMessage;
        while (rest.Length > 0)
        {
            if (--budget < 0)
            {
                return ConfigPathResolution.Found;
            }

            if (rest[0] == '[')
            {
                var close = rest.IndexOf(']');
                if (close < 2
                    || !int.TryParse(rest[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    || node is not ConfigSequence sequence
                    || index >= sequence.Items.Length)
                {
                    return ConfigPathResolution.Unresolved;
                }

                node = sequence.Items[index];
                rest = rest[(close + 1)..];
                if (rest.Length > 0)
                {
                    if (rest[0] == '.')
                    {
                        rest = rest[1..];
                    }
                    else if (rest[0] != '[')
                    {
                        return ConfigPathResolution.Unresolved;
                    }
                }

                continue;
            }

            if (node is not ConfigMapping map)
            {
                return ConfigPathResolution.Unresolved;
            }

            // Every key the path continues with, longest first; the first that resolves the rest wins.
            var candidates = new List<ConfigMappingEntry>();
            foreach (var entry in map.Entries)
            {
                var key = entry.Key;
                if (rest.StartsWith(key, StringComparison.Ordinal) && (rest.Length == key.Length || rest[key.Length] is '.' or '['))
                {
                    candidates.Add(entry);
                }
            }

            candidates.Sort((a, b) => b.Key.Length.CompareTo(a.Key.Length));
            var best = ConfigPathResolution.Unresolved;
            foreach (var candidate in candidates)
            {
                var after = rest[candidate.Key.Length..];
                if (after.Length > 0 && after[0] == '.')
                {
                    after = after[1..];
                    if (after.Length == 0)
                    {
                        continue;
                    }
                }

                var outcome = after.Length == 0 ? ConfigPathResolution.Found : Resolve(candidate.Value, after, ref budget);
                if (outcome == ConfigPathResolution.Found)
                {
                    return outcome;
                }

                if (outcome == ConfigPathResolution.MissingField)
                {
                    best = outcome;
                }
            }

            if (best != ConfigPathResolution.Unresolved)
            {
                return best;
            }

            // A required field the file leaves out is reported under its proto name: a plain name, last in the path.
            return candidates.Count == 0 && rest.IndexOfAny('.', '[') < 0 ? ConfigPathResolution.MissingField : ConfigPathResolution.Unresolved;
        }

        return ConfigPathResolution.Found;
    }
}
