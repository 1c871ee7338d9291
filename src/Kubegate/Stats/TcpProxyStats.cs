namespace Kubegate.Stats;

/// <summary><c>tcp.&lt;stat_prefix&gt;.*</c>.</summary>
internal sealed class TcpProxyStats
{
    public TcpProxyStats(StatsStore store, string statPrefix)
    {
        var scope = "tcp." + statPrefix + ".";
        DownstreamCxTotal = store.Counter(scope + "downstream_cx_total");
        DownstreamCxNoRoute = store.Counter(scope + "downstream_cx_no_route");
        DownstreamCxRxBytesTotal = store.Counter(scope + "downstream_cx_rx_bytes_total");
        DownstreamCxTxBytesTotal = store.Counter(scope + "downstream_cx_tx_bytes_total");
        IdleTimeout = store.Counter(scope + "idle_timeout");
        MaxDownstreamConnectionDuration = store.Counter(scope + "max_downstream_connection_duration");
        UpstreamFlushTotal = store.Counter(scope + "upstream_flush_total");
        UpstreamFlushActive = store.Gauge(scope + "upstream_flush_active");
    }

    public Counter DownstreamCxTotal { get; }

    public Counter DownstreamCxNoRoute { get; }

    public Counter DownstreamCxRxBytesTotal { get; }

    public Counter DownstreamCxTxBytesTotal { get; }

    public Counter IdleTimeout { get; }

    public Counter MaxDownstreamConnectionDuration { get; }

    public Counter UpstreamFlushTotal { get; }

    public Gauge UpstreamFlushActive { get; }
}
