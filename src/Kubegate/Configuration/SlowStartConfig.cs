namespace Kubegate.Configuration;

/// <summary>
/// Envoy's <c>slow_start_config</c> (of <c>round_robin_lb_config</c> or <c>least_request_lb_config</c>): a host that
/// joined the cluster or turned healthy again takes a growing share of new connections for <see cref="Window"/>.
/// </summary>
/// <param name="Window"><c>slow_start_window</c>; the host is in slow start while younger than this.</param>
/// <param name="Aggression"><c>aggression.default_value</c>: 1.0 ramps linearly, larger values ramp faster at first.</param>
/// <param name="MinWeightPercent"><c>min_weight_percent.value</c>: the floor of the scaled weight, in percent (default 10).</param>
internal sealed record SlowStartConfig(TimeSpan Window, double Aggression = 1.0, double MinWeightPercent = 10)
{
    /// <summary>
    /// Envoy's factor for a host <paramref name="age"/> old: <c>max(MinWeightPercent / 100, TimeFactor ^ (1 / Aggression))</c>
    /// with <c>TimeFactor = max(age s, 1) / window s</c>; 1 once the window has passed.
    /// </summary>
    public double Factor(TimeSpan age)
    {
        if (age >= Window)
        {
            return 1.0;
        }

        var timeFactor = Math.Max(age.TotalSeconds, 1.0) / Window.TotalSeconds;
        var scaled = Aggression == 1.0 ? timeFactor : Math.Pow(timeFactor, 1.0 / Aggression);
        return Math.Min(1.0, Math.Max(MinWeightPercent / 100.0, scaled));
    }
}
