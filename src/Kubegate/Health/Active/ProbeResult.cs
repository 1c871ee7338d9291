namespace Kubegate.Health.Active;

/// <summary>The result of one probe.</summary>
/// <param name="Succeeded">True when the host passed.</param>
/// <param name="FailureType">Why it failed (ignored on success).</param>
/// <param name="Retriable">An HTTP <c>retriable_statuses</c> answer: counts toward the threshold instead of failing at once.</param>
/// <param name="Reason">Short text for logs and the admin page.</param>
/// <param name="StatusCode">The HTTP status, when one arrived.</param>
/// <param name="Degraded">The answer carried <c>x-envoy-degraded</c>.</param>
/// <param name="ImmediateFail">The answer carried <c>x-envoy-immediate-health-check-fail</c>.</param>
/// <param name="Alive">
/// After a failed readiness answer, what the cluster's <c>liveness_path</c> said (true: the host is alive, so it only
/// drains); null when no liveness request was made.
/// </param>
internal readonly record struct ProbeResult(
    bool Succeeded,
    HealthCheckFailureType FailureType,
    bool Retriable,
    string? Reason,
    int? StatusCode = null,
    bool Degraded = false,
    bool ImmediateFail = false,
    bool? Alive = null)
{
    public static ProbeResult Success(string? reason = null, int? statusCode = null, bool degraded = false) =>
        new(true, HealthCheckFailureType.Active, false, reason, statusCode, degraded);

    public static ProbeResult NetworkFailure(string reason) => new(false, HealthCheckFailureType.Network, false, reason);

    public static ProbeResult Timeout(TimeSpan timeout) =>
        new(false, HealthCheckFailureType.NetworkTimeout, false, $"no answer within {timeout.TotalMilliseconds:0} ms");

    public static ProbeResult ActiveFailure(string reason, int? statusCode = null, bool retriable = false, bool immediateFail = false) =>
        new(false, HealthCheckFailureType.Active, retriable, reason, statusCode, ImmediateFail: immediateFail);
}
