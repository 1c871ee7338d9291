namespace Kubegate.Stats;

/// <summary><c>listener.&lt;address&gt;.*</c>.</summary>
internal sealed class ListenerStats
{
    public ListenerStats(StatsStore store, string scope)
    {
        DownstreamCxTotal = store.Counter(scope + "downstream_cx_total");
        DownstreamCxDestroy = store.Counter(scope + "downstream_cx_destroy");
        DownstreamCxActive = store.Gauge(scope + "downstream_cx_active");
        DownstreamCxLengthMs = store.Histogram(scope + "downstream_cx_length_ms");
    }

    public Counter DownstreamCxTotal { get; }

    public Counter DownstreamCxDestroy { get; }

    public Gauge DownstreamCxActive { get; }

    /// <summary>Lifetime of each downstream connection, recorded at close.</summary>
    public Histogram DownstreamCxLengthMs { get; }
}
