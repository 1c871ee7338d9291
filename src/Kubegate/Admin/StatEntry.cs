using System.Text.RegularExpressions;
using Kubegate.Stats;

namespace Kubegate.Admin;

/// <summary>The kind of a stat as the admin formats tell them apart.</summary>
internal enum StatKind
{
    Counter,
    Gauge,
    TextReadout,
}

/// <summary>One stat read at a point in time; <see cref="Text"/> is set for text readouts only.</summary>
internal readonly record struct StatEntry(string Name, StatKind Kind, long Value, string? Text);

/// <summary>
/// Picks the stats an admin request asks for: <c>?filter=</c> (a partial regex match on the name) and
/// <c>?usedonly</c> (only stats ever written). Order is Envoy's <c>/stats</c> order: text readouts first, then
/// counters and gauges interleaved by name (ordinal).
/// </summary>
internal static class StatsSelection
{
    public static List<StatEntry> Select(StatsStore store, Regex? filter, bool usedOnly, bool includeTextReadouts = true)
    {
        var result = new List<StatEntry>();
        if (includeTextReadouts)
        {
            foreach (var readout in store.TextReadouts)
            {
                if (Keep(readout.Name, readout.Used, filter, usedOnly))
                {
                    result.Add(new StatEntry(readout.Name, StatKind.TextReadout, 0, readout.Value));
                }
            }
        }

        var numeric = new List<StatEntry>();
        foreach (var counter in store.Counters)
        {
            if (Keep(counter.Name, counter.Used, filter, usedOnly))
            {
                numeric.Add(new StatEntry(counter.Name, StatKind.Counter, counter.Value, null));
            }
        }

        foreach (var gauge in store.Gauges)
        {
            if (Keep(gauge.Name, gauge.Used, filter, usedOnly))
            {
                numeric.Add(new StatEntry(gauge.Name, StatKind.Gauge, gauge.Value, null));
            }
        }

        numeric.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        result.AddRange(numeric);
        return result;
    }

    /// <summary>Builds the <c>?filter=</c> regex (RE2-like: no backtracking); null when the pattern is invalid.</summary>
    public static bool TryCreateFilter(string pattern, out Regex? regex, out string? error)
    {
        try
        {
            regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
            error = null;
            return true;
        }
        catch (ArgumentException e)
        {
            regex = null;
            error = e.Message;
            return false;
        }
        catch (NotSupportedException e)
        {
            regex = null;
            error = e.Message;
            return false;
        }
    }

    private static bool Keep(string name, bool used, Regex? filter, bool usedOnly) =>
        (!usedOnly || used) && (filter is null || filter.IsMatch(name));
}
