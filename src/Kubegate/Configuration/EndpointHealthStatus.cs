namespace Kubegate.Configuration;

/// <summary><c>envoy.config.core.v3.HealthStatus</c> as written in EDS.</summary>
internal enum EndpointHealthStatus
{
    Unknown,
    Healthy,
    Unhealthy,
    Draining,
    Timeout,
    Degraded,
}
