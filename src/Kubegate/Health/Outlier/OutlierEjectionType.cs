namespace Kubegate.Health.Outlier;

/// <summary>Why outlier detection ejects a host (Envoy's <c>OutlierEjectionType</c>, the ones a TCP proxy can trigger).</summary>
internal enum OutlierEjectionType
{
    Consecutive5xx,
    ConsecutiveGatewayFailure,
    ConsecutiveLocalOriginFailure,
}
