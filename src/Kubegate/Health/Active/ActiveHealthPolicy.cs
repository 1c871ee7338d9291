using Kubegate.Clusters;

namespace Kubegate.Health.Active;

/// <summary>
/// Envoy's active health-check thresholds (<c>handleSuccess</c>/<c>handleFailure</c> in
/// <c>health_checker_base_impl.cc</c>) as pure functions of a host's flags, its counters and one result: no
/// sockets, no clock, no locks (YARP's <c>ConsecutiveFailuresHealthPolicy</c>). <see cref="ActiveHealthChecker"/>
/// applies the verdicts.
/// </summary>
/// <remarks>
/// A new host starts <c>FAILED_ACTIVE_HC</c> (+<c>PENDING_ACTIVE_HC</c>); its first passed check makes it healthy
/// at once, later recoveries need <c>healthy_threshold</c> passes in a row. NETWORK and NETWORK_TIMEOUT failures,
/// and HTTP <c>retriable_statuses</c>, count toward <c>unhealthy_threshold</c>; any other unexpected answer
/// (ACTIVE) fails a healthy host at once. A pass resets the failure count and a failure the pass count.
/// </remarks>
internal static class ActiveHealthPolicy
{
    /// <summary>Every flag the active checker owns.</summary>
    public const HealthFlags ActiveFlags = HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc | HealthFlags.ActiveHcTimeout
        | HealthFlags.DegradedActiveHc | HealthFlags.ExcludedViaImmediateHcFail;

    /// <summary>The flags of a host joining an actively checked cluster: no traffic until its first check passes.</summary>
    public static HealthFlags InitialFlags(bool activelyChecked, bool checkDisabledForHost) =>
        activelyChecked && !checkDisabledForHost ? HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc : HealthFlags.None;

    /// <summary>
    /// True when a host that left EDS stays (pending removal) until it fails a check: the cluster is actively
    /// checked, <c>ignore_health_on_host_removal</c> is off, and neither active checks nor EDS call it unhealthy.
    /// </summary>
    public static bool KeepOnRemoval(bool activelyChecked, bool ignoreHealthOnHostRemoval, bool checkDisabledForHost, HealthFlags flags) =>
        activelyChecked
        && !ignoreHealthOnHostRemoval
        && !checkDisabledForHost
        && (flags & (HealthFlags.FailedActiveHc | HealthFlags.FailedEdsHealth)) == 0;

    /// <summary>A passed check.</summary>
    public static ActiveHealthVerdict OnSuccess(HealthFlags flags, ActiveHealthCounters counters, ProbeResult result, uint healthyThreshold)
    {
        var transition = HealthTransition.Unchanged;
        var set = HealthFlags.None;
        var clear = HealthFlags.None;
        var reason = "health check passed: " + result.Reason;
        var becameHealthy = false;
        var successes = counters.ConsecutiveSuccesses;
        if (flags.HasFlag(HealthFlags.FailedActiveHc))
        {
            if (counters.FirstCheck || ++successes >= healthyThreshold)
            {
                clear |= HealthFlags.FailedActiveHc | HealthFlags.ActiveHcTimeout | HealthFlags.ExcludedViaImmediateHcFail;
                transition = HealthTransition.Changed;
                becameHealthy = true;
                reason = counters.FirstCheck
                    ? $"first health check passed ({result.Reason})"
                    : $"{successes} health checks in a row passed ({result.Reason})";
                successes = 0;
            }
            else
            {
                transition = HealthTransition.ChangePending;
            }
        }

        if (flags.HasFlag(HealthFlags.PendingActiveHc))
        {
            // As Envoy's clearPendingFlag: leaving the pending state is a change even when health is not.
            clear |= HealthFlags.PendingActiveHc;
            transition = HealthTransition.Changed;
        }

        if (result.Degraded != flags.HasFlag(HealthFlags.DegradedActiveHc))
        {
            (result.Degraded ? ref set : ref clear) |= HealthFlags.DegradedActiveHc;
            transition = HealthTransition.Changed;
        }

        return new ActiveHealthVerdict(set, clear, transition, reason, becameHealthy, BecameUnhealthy: false,
            new ActiveHealthCounters(FirstCheck: false, Warming: false, successes, ConsecutiveFailures: 0));
    }

    /// <summary>A failed check.</summary>
    public static ActiveHealthVerdict OnFailure(HealthFlags flags, ActiveHealthCounters counters, ProbeResult result, uint unhealthyThreshold)
    {
        var transition = HealthTransition.Unchanged;
        var set = HealthFlags.None;
        var clear = HealthFlags.None;
        var typeName = HealthEventLog.FailureTypeName(result.FailureType);
        var reason = $"health check failed ({typeName}): {result.Reason}";
        var becameUnhealthy = false;
        var failures = counters.ConsecutiveFailures;
        if (!flags.HasFlag(HealthFlags.FailedActiveHc))
        {
            var counted = result.FailureType is HealthCheckFailureType.Network or HealthCheckFailureType.NetworkTimeout || result.Retriable;
            if (counters.Warming || result.ImmediateFail || !counted || ++failures >= unhealthyThreshold)
            {
                set |= HealthFlags.FailedActiveHc;
                transition = HealthTransition.Changed;
                becameUnhealthy = true;
                reason = counted && !counters.Warming && !result.ImmediateFail
                    ? $"{failures} health checks in a row failed, last {typeName}: {result.Reason}"
                    : $"health check failed ({typeName}): {result.Reason}";
            }
            else
            {
                transition = HealthTransition.ChangePending;
            }
        }

        if (result.ImmediateFail)
        {
            set |= HealthFlags.ExcludedViaImmediateHcFail;
        }

        // As Envoy: the timeout flag marks a failed host whose last check timed out; it toggles with the failure type.
        if (result.FailureType == HealthCheckFailureType.NetworkTimeout && (flags | set).HasFlag(HealthFlags.FailedActiveHc))
        {
            set |= HealthFlags.ActiveHcTimeout;
        }
        else
        {
            clear |= HealthFlags.ActiveHcTimeout;
        }

        if (flags.HasFlag(HealthFlags.PendingActiveHc))
        {
            clear |= HealthFlags.PendingActiveHc;
            transition = HealthTransition.Changed;
        }

        return new ActiveHealthVerdict(set, clear, transition, reason, BecameHealthy: false, becameUnhealthy,
            new ActiveHealthCounters(FirstCheck: false, Warming: false, ConsecutiveSuccesses: 0, failures));
    }
}
