using Kubegate.Configuration;

namespace Kubegate.Health.Outlier;

/// <summary>
/// Envoy's outlier-ejection rules (<c>outlier_detection_impl.cc</c>) as pure functions of the config and counts: no
/// clock, no randomness, no locks. <see cref="OutlierDetector"/> feeds them its counters and draws.
/// </summary>
internal static class OutlierEjectionPolicy
{
    /// <summary>
    /// True when one more ejection stays within <c>max_ejection_percent</c> of <paramref name="hosts"/>, or when
    /// <c>always_eject_one_host</c> allows a first one anyway.
    /// </summary>
    public static bool MayEject(OutlierDetectionConfig config, int ejectionsActive, int hosts)
    {
        var maxPercent = Math.Min(100u, config.MaxEjectionPercent);
        var ejectedPercent = 100.0 * (ejectionsActive + 1) / hosts;
        return ejectedPercent <= maxPercent || (config.AlwaysEjectOneHost && ejectionsActive == 0);
    }

    /// <summary>The <c>enforcing_*</c> percentage of a detector type: an ejection is enforced when a draw in [0, 100) is below it.</summary>
    public static uint Enforcing(OutlierDetectionConfig config, OutlierEjectionType type) => type switch
    {
        OutlierEjectionType.Consecutive5xx => config.EnforcingConsecutive5xx,
        OutlierEjectionType.ConsecutiveGatewayFailure => config.EnforcingConsecutiveGatewayFailure,
        _ => config.EnforcingConsecutiveLocalOriginFailure,
    };

    /// <summary>How long an ejection lasts: <c>base_ejection_time</c> × backoff, capped at <c>max_ejection_time</c>, plus jitter.</summary>
    public static TimeSpan EjectionDuration(OutlierDetectionConfig config, int backoff, TimeSpan jitter)
    {
        var scaled = config.BaseEjectionTime * Math.Max(1, backoff);
        var max = config.EffectiveMaxEjectionTime;
        return (scaled < max ? scaled : max) + jitter;
    }

    /// <summary>True when an ejection should raise the backoff (the next one would still be shorter than the cap).</summary>
    public static bool RaisesBackoff(OutlierDetectionConfig config, int backoff) =>
        config.BaseEjectionTime * backoff < config.EffectiveMaxEjectionTime;
}
