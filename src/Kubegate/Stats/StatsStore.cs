using System.Collections.Concurrent;

namespace Kubegate.Stats;

/// <summary>
/// Every stat of the process, by Envoy name. Stats are created on first use and live as long as the process, so
/// a listener or cluster that is reloaded keeps counting where it left off (as Envoy's stats do). Lookups happen
/// when config is applied, never per connection: the data path holds the <see cref="Counter"/> objects.
/// </summary>
internal sealed class StatsStore
{
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Gauge> _gauges = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TextReadout> _textReadouts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Histogram> _histograms = new(StringComparer.Ordinal);

    public Counter Counter(string name) => _counters.GetOrAdd(name, static n => new Counter(n));

    public Gauge Gauge(string name) => _gauges.GetOrAdd(name, static n => new Gauge(n));

    /// <summary>A millisecond histogram (Envoy's default buckets); <c>/reset_counters</c> leaves it alone.</summary>
    public Histogram Histogram(string name) => _histograms.GetOrAdd(name, static n => new Histogram(n));

    public IReadOnlyList<Histogram> Histograms => [.. _histograms.Values.OrderBy(h => h.Name, StringComparer.Ordinal)];

    /// <summary>A text stat (e.g. <c>version_text</c>); kept apart from the numeric ones, which <see cref="TryGetValue"/> reads.</summary>
    public TextReadout TextReadout(string name) => _textReadouts.GetOrAdd(name, static n => new TextReadout(n));

    /// <summary>The current text of a text readout, or null when no such readout exists.</summary>
    public string? TryGetText(string name) => _textReadouts.TryGetValue(name, out var readout) ? readout.Value : null;

    /// <summary>The current value of a counter or gauge, or null when no such stat exists.</summary>
    public long? TryGetValue(string name) =>
        _counters.TryGetValue(name, out var counter) ? counter.Value :
        _gauges.TryGetValue(name, out var gauge) ? gauge.Value : null;

    /// <summary>The value of a counter or gauge; 0 when it was never created.</summary>
    public long GetValue(string name) => TryGetValue(name) ?? 0;

    public IReadOnlyList<Counter> Counters => [.. _counters.Values.OrderBy(c => c.Name, StringComparer.Ordinal)];

    public IReadOnlyList<Gauge> Gauges => [.. _gauges.Values.OrderBy(g => g.Name, StringComparer.Ordinal)];

    public IReadOnlyList<TextReadout> TextReadouts => [.. _textReadouts.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    public void ResetCounters()
    {
        foreach (var counter in _counters.Values)
        {
            counter.Reset();
        }
    }
}
