namespace Kubegate.Stats;

/// <summary>
/// <c>cluster.&lt;name&gt;.health_check.*</c>, created only for clusters with an active health check (as in Envoy).
/// </summary>
internal sealed class HealthCheckStats
{
    public HealthCheckStats(StatsStore store, string observabilityName)
    {
        var scope = "cluster." + observabilityName + ".health_check.";
        Attempt = store.Counter(scope + "attempt");
        Success = store.Counter(scope + "success");
        Failure = store.Counter(scope + "failure");
        NetworkFailure = store.Counter(scope + "network_failure");
        PassiveFailure = store.Counter(scope + "passive_failure");
        VerifyCluster = store.Counter(scope + "verify_cluster");
        Healthy = store.Gauge(scope + "healthy");
        Degraded = store.Gauge(scope + "degraded");
    }

    /// <summary>Checks started.</summary>
    public Counter Attempt { get; }

    public Counter Success { get; }

    /// <summary>Every failed check, network failures included.</summary>
    public Counter Failure { get; }

    /// <summary>Failed checks of type NETWORK or NETWORK_TIMEOUT (connect refused, reset, timeout, TLS handshake).</summary>
    public Counter NetworkFailure { get; }

    /// <summary>Failures from passive events; kubegate has none (kept for Envoy's stat list).</summary>
    public Counter PassiveFailure { get; }

    /// <summary><c>service_name_matcher</c> checks; not supported, so always 0 (kept for Envoy's stat list).</summary>
    public Counter VerifyCluster { get; }

    /// <summary>Hosts the health checker currently considers healthy.</summary>
    public Gauge Healthy { get; }

    public Gauge Degraded { get; }
}
