namespace Kubegate.Stats;

/// <summary><c>listener.&lt;address&gt;.*</c>.</summary>
internal sealed class ListenerStats
{
    public ListenerStats(StatsStore store, string scope)
    {
        DownstreamCxTotal = store.Counter(scope + "downstream_cx_total");
        DownstreamCxDestroy = store.Counter(scope + "downstream_cx_destroy");
        DownstreamCxActive = store.Gauge(scope + "downstream_cx_active");
    }

    public Counter DownstreamCxTotal { get; }

    public Counter DownstreamCxDestroy { get; }

    public Gauge DownstreamCxActive { get; }
}
