using Kubegate.Configuration;

namespace Kubegate.Health.Active;

/// <summary>
/// When the next check of a host runs, as Envoy's <c>HealthCheckerImplBase::interval()</c> and
/// <c>intervalWithJitter()</c> decide it (<c>source/extensions/health_checkers/common/health_checker_base_impl.cc</c>).
/// </summary>
/// <remarks>
/// Until the cluster has made its first upstream connection (<c>upstream_cx_total</c> never written) checks run every
/// <c>no_traffic_interval</c> (<c>no_traffic_healthy_interval</c> for a settled healthy host). Afterwards a passed check
/// waits <c>interval</c>, or <c>healthy_edge_interval</c> while successes are still being counted toward
/// <c>healthy_threshold</c>; a failed check waits <c>unhealthy_interval</c>, or <c>unhealthy_edge_interval</c> while
/// failures are counted toward <c>unhealthy_threshold</c>. Jitter is then added: <c>random % (base × percent / 100)</c>
/// and <c>random % interval_jitter</c>, in milliseconds, and the result is at least 1 ms.
/// </remarks>
internal static class HealthCheckIntervals
{
    /// <summary>The wait before the next check, without jitter.</summary>
    /// <param name="config">The health check.</param>
    /// <param name="hadTraffic">True once the cluster made an upstream connection.</param>
    /// <param name="passed">True when the check just finished passed (Envoy's <c>HealthState::Healthy</c>).</param>
    /// <param name="transition">What the check did to the host.</param>
    public static TimeSpan Base(HealthCheckConfig config, bool hadTraffic, bool passed, HealthTransition transition)
    {
        if (!hadTraffic)
        {
            return passed && transition != HealthTransition.ChangePending
                ? config.NoTrafficHealthyInterval ?? config.NoTrafficInterval
                : config.NoTrafficInterval;
        }

        if (passed)
        {
            return transition == HealthTransition.ChangePending ? config.HealthyEdgeInterval ?? config.Interval : config.Interval;
        }

        var unhealthy = config.UnhealthyInterval ?? config.Interval;
        return transition == HealthTransition.ChangePending ? config.UnhealthyEdgeInterval ?? unhealthy : unhealthy;
    }

    /// <summary>Adds <c>interval_jitter_percent</c> and <c>interval_jitter</c>; never less than 1 ms.</summary>
    /// <param name="baseTime">The wait without jitter.</param>
    /// <param name="config">The health check.</param>
    /// <param name="random">Returns a uniform value in [0, argument).</param>
    public static TimeSpan WithJitter(TimeSpan baseTime, HealthCheckConfig config, Func<long, long> random)
    {
        var milliseconds = (long)baseTime.TotalMilliseconds;
        var percentRange = config.IntervalJitterPercent * milliseconds / 100;
        if (percentRange > 0)
        {
            milliseconds += random(percentRange);
        }

        var jitter = (long)config.IntervalJitter.TotalMilliseconds;
        if (jitter > 0)
        {
            milliseconds += random(jitter);
        }

        return TimeSpan.FromMilliseconds(Math.Max(1, milliseconds));
    }

    /// <summary>The delay of a host's first check: none, or <c>random % initial_jitter</c> (at least 1 ms).</summary>
    public static TimeSpan InitialDelay(HealthCheckConfig config, Func<long, long> random)
    {
        var jitter = (long)config.InitialJitter.TotalMilliseconds;
        return jitter > 0 ? TimeSpan.FromMilliseconds(Math.Max(1, random(jitter))) : TimeSpan.Zero;
    }
}
