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
        NoFilterChainMatch = store.Counter(scope + "no_filter_chain_match");
        DownstreamPreCxTimeout = store.Counter(scope + "downstream_pre_cx_timeout");
        DownstreamPreCxActive = store.Gauge(scope + "downstream_pre_cx_active");
        DownstreamListenerFilterRemoteClose = store.Counter(scope + "downstream_listener_filter_remote_close");
        DownstreamListenerFilterError = store.Counter(scope + "downstream_listener_filter_error");
        DownstreamCxClientLimited = store.Counter(scope + "kubegate.downstream_cx_client_limited");
    }

    /// <summary>Connections closed because no filter chain matched them (access-log flag <c>NR</c>).</summary>
    public Counter NoFilterChainMatch { get; }

    /// <summary>Connections whose listener filters (tls_inspector) ran past <c>listener_filters_timeout</c>.</summary>
    public Counter DownstreamPreCxTimeout { get; }

    /// <summary>Connections still in the listener filters (waiting for their ClientHello).</summary>
    public Gauge DownstreamPreCxActive { get; }

    /// <summary>Clients that closed before the listener filters were done.</summary>
    public Counter DownstreamListenerFilterRemoteClose { get; }

    /// <summary>Listener filters that failed (a ClientHello too large to inspect).</summary>
    public Counter DownstreamListenerFilterError { get; }

    /// <summary>kubegate extension: connections refused by <c>max_connections_per_client</c>.</summary>
    public Counter DownstreamCxClientLimited { get; }

    public Counter DownstreamCxTotal { get; }

    public Counter DownstreamCxDestroy { get; }

    public Gauge DownstreamCxActive { get; }

    /// <summary>Lifetime of each downstream connection, recorded at close.</summary>
    public Histogram DownstreamCxLengthMs { get; }
}
