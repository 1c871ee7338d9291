namespace Kubegate.Health;

/// <summary>Envoy's <c>HealthCheckFailureType</c>: why a check failed, which decides how the failure counts.</summary>
internal enum HealthCheckFailureType
{
    /// <summary>The host answered, but wrongly (unexpected HTTP status): a healthy host is failed at once.</summary>
    Active,

    /// <summary>A passive signal; kubegate has none, kept for Envoy's names.</summary>
    Passive,

    /// <summary>Connect refused, reset, closed early, TLS handshake failed: counts toward <c>unhealthy_threshold</c>.</summary>
    Network,

    /// <summary>No answer within <c>timeout</c>: counts toward <c>unhealthy_threshold</c>.</summary>
    NetworkTimeout,
}
