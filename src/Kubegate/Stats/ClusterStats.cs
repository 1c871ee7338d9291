namespace Kubegate.Stats;

/// <summary><c>cluster.&lt;name&gt;.*</c>: traffic, membership and load-balancer stats of one cluster.</summary>
internal sealed class ClusterStats
{
    public ClusterStats(StatsStore store, string observabilityName)
    {
        var scope = "cluster." + observabilityName + ".";
        UpstreamCxTotal = store.Counter(scope + "upstream_cx_total");
        UpstreamCxActive = store.Gauge(scope + "upstream_cx_active");
        UpstreamCxConnectFail = store.Counter(scope + "upstream_cx_connect_fail");
        UpstreamCxConnectTimeout = store.Counter(scope + "upstream_cx_connect_timeout");
        UpstreamCxConnectAttemptsExceeded = store.Counter(scope + "upstream_cx_connect_attempts_exceeded");
        UpstreamCxNoneHealthy = store.Counter(scope + "upstream_cx_none_healthy");
        UpstreamCxOverflow = store.Counter(scope + "upstream_cx_overflow");
        UpstreamCxRxBytesTotal = store.Counter(scope + "upstream_cx_rx_bytes_total");
        UpstreamCxTxBytesTotal = store.Counter(scope + "upstream_cx_tx_bytes_total");
        UpstreamCxDestroy = store.Counter(scope + "upstream_cx_destroy");
        UpstreamCxDestroyLocal = store.Counter(scope + "upstream_cx_destroy_local");
        UpstreamCxDestroyRemote = store.Counter(scope + "upstream_cx_destroy_remote");
        UpstreamRqTotal = store.Counter(scope + "upstream_rq_total");
        UpstreamRqActive = store.Gauge(scope + "upstream_rq_active");
        MembershipTotal = store.Gauge(scope + "membership_total");
        MembershipHealthy = store.Gauge(scope + "membership_healthy");
        MembershipDegraded = store.Gauge(scope + "membership_degraded");
        MembershipChange = store.Counter(scope + "membership_change");
        MaxHostWeight = store.Gauge(scope + "max_host_weight");
        LbHealthyPanic = store.Counter(scope + "lb_healthy_panic");
        RebalanceCxClosed = store.Counter(scope + "kubegate.rebalance_cx_closed");
        DisabledCxClosed = store.Counter(scope + "kubegate.endpoint_disabled_cx_closed");
        MaxAgeCxClosed = store.Counter(scope + "kubegate.max_connection_age_cx_closed");
        UpstreamCxConnectMs = store.Histogram(scope + "upstream_cx_connect_ms");
        UpstreamCxLengthMs = store.Histogram(scope + "upstream_cx_length_ms");
    }

    public Counter UpstreamCxTotal { get; }

    /// <summary>kubegate's: connections closed gently because their host held more than its share (<c>rebalance</c>).</summary>
    public Counter RebalanceCxClosed { get; }

    /// <summary>kubegate's: connections of a disabled endpoint closed gently.</summary>
    public Counter DisabledCxClosed { get; }

    /// <summary>kubegate's: connections closed gently at their <c>max_connection_age</c>.</summary>
    public Counter MaxAgeCxClosed { get; }

    public Gauge UpstreamCxActive { get; }

    public Counter UpstreamCxConnectFail { get; }

    public Counter UpstreamCxConnectTimeout { get; }

    public Counter UpstreamCxConnectAttemptsExceeded { get; }

    public Counter UpstreamCxNoneHealthy { get; }

    public Counter UpstreamCxOverflow { get; }

    public Counter UpstreamCxRxBytesTotal { get; }

    public Counter UpstreamCxTxBytesTotal { get; }

    public Counter UpstreamCxDestroy { get; }

    public Counter UpstreamCxDestroyLocal { get; }

    public Counter UpstreamCxDestroyRemote { get; }

    public Counter UpstreamRqTotal { get; }

    public Gauge UpstreamRqActive { get; }

    public Gauge MembershipTotal { get; }

    public Gauge MembershipHealthy { get; }

    public Gauge MembershipDegraded { get; }

    public Counter MembershipChange { get; }

    public Gauge MaxHostWeight { get; }

    public Counter LbHealthyPanic { get; }

    /// <summary>Latency of each successful upstream connect.</summary>
    public Histogram UpstreamCxConnectMs { get; }

    /// <summary>Lifetime of each upstream connection, recorded at close.</summary>
    public Histogram UpstreamCxLengthMs { get; }
}
