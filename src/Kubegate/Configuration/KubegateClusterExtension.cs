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
}

/// <summary>What a cluster's health check tells about a host (the kubegate extension <c>health_check_role</c>).</summary>
internal enum HealthCheckRole
{
    /// <summary>Failed means down (Envoy's meaning).</summary>
    Liveness,

    /// <summary>Failed with an answer means draining; failed without one means down.</summary>
    Readiness,
}
