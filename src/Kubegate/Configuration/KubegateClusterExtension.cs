namespace Kubegate.Configuration;

/// <summary>
/// kubegate's own cluster knobs, read from <c>metadata.filter_metadata.kubegate</c> so the same file still loads in
/// Envoy (which keeps filter metadata without acting on it).
/// </summary>
internal sealed record KubegateClusterExtension
{
    public static readonly KubegateClusterExtension Default = new();

    /// <summary>
    /// <c>health_check_role</c>: what the cluster's health check tells. <see cref="HealthCheckRole.Liveness"/> (the
    /// default, Envoy's meaning): any failure takes the host down. <see cref="HealthCheckRole.Readiness"/>: a failure
    /// the host answered (an HTTP status such as <c>/readyz</c>'s 503 during the apiserver's shutdown delay) only
    /// drains it; a failure it did not answer (refused, timed out, TLS failed) takes it down.
    /// </summary>
    public HealthCheckRole HealthCheckRole { get; init; } = HealthCheckRole.Liveness;

    /// <summary>
    /// <c>liveness_path</c>: with <see cref="HealthCheckRole.Readiness"/> and an HTTP check, the path (e.g. <c>/livez</c>)
    /// asked on the same apiserver after a failed readiness answer: 2xx drains it, anything else takes it down.
    /// Null: any answer counts as alive.
    /// </summary>
    public string? LivenessPath { get; init; }

    /// <summary><c>rebalance</c>: spreads long-lived connections back over the healthy hosts; null: off.</summary>
    public RebalanceConfig? Rebalance { get; init; }

    /// <summary>
    /// <c>max_connection_age</c>: a connection this old is closed at its next quiet moment; each connection's age limit
    /// is shortened by a random part of <see cref="MaxConnectionAgeJitterPercent"/>, so watches opened together do not
    /// all end together. Null: no limit.
    /// </summary>
    public TimeSpan? MaxConnectionAge { get; init; }

    /// <summary><c>max_connection_age_jitter_percent</c>: up to this share of the age limit is taken off (default 10).</summary>
    public double MaxConnectionAgeJitterPercent { get; init; } = 10;

    /// <summary>
    /// The most gentle closes (rebalancing, a disabled endpoint's connections, <c>max_connection_age</c>) per second for
    /// this cluster: the rebalance limit when configured, else <see cref="RebalanceConfig.DefaultMaxClosesPerSecond"/>.
    /// </summary>
    public int GentleClosesPerSecond => Rebalance?.MaxClosesPerSecond ?? RebalanceConfig.DefaultMaxClosesPerSecond;
}

/// <summary>
/// The kubegate extension <c>rebalance</c>: when the healthy hosts' connection counts are far from their weighted fair
/// shares (after a recovery or a scale-up), close connections on the over-full hosts at quiet moments (FIN), so
/// client-go re-opens its watches, and the balancer places them on the under-full hosts.
/// </summary>
/// <param name="TolerancePercent"><c>tolerance_percent</c>: a host within this share of its fair share is left alone (default 20).</param>
/// <param name="MaxClosesPerSecond"><c>max_closes_per_second</c>: at most this many closes in any second, per cluster (default 5).</param>
/// <param name="MinConnectionAge"><c>min_connection_age</c>: a younger connection is never closed (default 60 s).</param>
internal sealed record RebalanceConfig(double TolerancePercent = 20, int MaxClosesPerSecond = RebalanceConfig.DefaultMaxClosesPerSecond, TimeSpan MinConnectionAge = default)
{
    public const int DefaultMaxClosesPerSecond = 5;

    public static readonly TimeSpan DefaultMinConnectionAge = TimeSpan.FromSeconds(60);
}

/// <summary>What a cluster's health check tells about a host (the kubegate extension <c>health_check_role</c>).</summary>
internal enum HealthCheckRole
{
    /// <summary>Failed means down (Envoy's meaning).</summary>
    Liveness,

    /// <summary>Failed with an answer means draining; failed without one means down.</summary>
    Readiness,
}
