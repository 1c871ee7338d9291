namespace Kubegate.Health;

/// <summary>The outcome of one active health check of a host, kept for inspection (admin page).</summary>
/// <param name="Time">When the check finished.</param>
/// <param name="Succeeded">True when the check passed.</param>
/// <param name="FailureType">Why it failed; null when it passed.</param>
/// <param name="Latency">From start to result (the timeout when it timed out).</param>
/// <param name="Reason">A short human-readable reason (HTTP status, socket error, TLS verification failure).</param>
/// <param name="StatusCode">The HTTP status, when an HTTP answer arrived.</param>
internal sealed record HealthCheckRecord(
    DateTimeOffset Time,
    bool Succeeded,
    HealthCheckFailureType? FailureType,
    TimeSpan Latency,
    string? Reason,
    int? StatusCode);
