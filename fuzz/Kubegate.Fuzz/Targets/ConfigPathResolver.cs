using System.Globalization;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Fuzzing;

/// <summary>
/// Follows a problem's field path (<c>resources[0].health_checks[1].timeout</c>) through the node tree of the file it
/// was reported for, so a check can insist that every error points at a real place.
/// </summary>
/// <remarks>
/// Keys go into paths as the file spells them, and may be empty or hold <c>.</c> and <c>[</c> themselves
/// (<c>filter_chains[0].[ilters</c>, <c>admin.address.</c>), so a path is matched against the keys that are there:
/// every key the rest of the path starts with is tried, longest first. A step budget bounds that search on
/// adversarial keys; past it the path counts as found, so the check never hangs and never claims a failure it did
/// not prove.
/// </remarks>
internal static class ConfigPathResolver
{
    private const int StepBudget = 10_000;

    private static readonly ConfigMapping EmptyMessage = new(0, []);

    public static ConfigPathResolution Resolve(ConfigNode? root, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var budget = StepBudget;

        // An empty document reads as an empty message (Envoy: an empty DiscoveryResponse), so its fields are absent.
        return path.Length == 0 ? ConfigPathResolution.Found : Resolve(root ?? EmptyMessage, path, expectKey: false, ref budget);
    }

    /// <param name="node">Where the rest of the path starts.</param>
    /// <param name="rest">The rest of the path.</param>
    /// <param name="expectKey">True after a '.': a key follows, possibly the empty one.</param>
    /// <param name="budget">Steps left.</param>
    private static ConfigPathResolution Resolve(ConfigNode node, ReadOnlySpan<char> rest, bool expectKey, ref int budget)
    {
        if (--budget < 0)
        {
            return ConfigPathResolution.Found;
        }

        if (rest.Length == 0 && !expectKey)
        {
            return ConfigPathResolution.Found;
        }

        if (node is ConfigSequence sequence)
        {
            var close = rest.IndexOf(']');
            if (expectKey || rest.Length == 0 || rest[0] != '[' || close < 2
                || !int.TryParse(rest[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= sequence.Items.Length)
            {
                return ConfigPathResolution.Unresolved;
            }

            return Continue(sequence.Items[index], rest[(close + 1)..], ref budget);
        }

        if (node is not ConfigMapping map)
        {
            return ConfigPathResolution.Unresolved;
        }

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
            var outcome = Continue(candidate.Value, rest[candidate.Key.Length..], ref budget);
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

    // After a key or an index: the end, a '.' and a key, or another '[index]'.
    private static ConfigPathResolution Continue(ConfigNode node, ReadOnlySpan<char> after, ref int budget) =>
        after.Length == 0 ? ConfigPathResolution.Found
        : after[0] == '.' ? Resolve(node, after[1..], expectKey: true, ref budget)
        : after[0] == '[' ? Resolve(node, after, expectKey: false, ref budget)
        : ConfigPathResolution.Unresolved;
}
