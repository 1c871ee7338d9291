using Kubegate.Clusters;
using Kubegate.Configuration;

namespace Kubegate.LoadBalancing;

/// <summary>
/// Envoy's slow start as the balancers apply it: a host younger than the window (since it turned available) weighs
/// <c>weight × factor</c>, with the factor of <see cref="SlowStartConfig.Factor"/>. Reads the clock once per pick.
/// </summary>
internal sealed class SlowStart
{
    private readonly SlowStartConfig _config;
    private readonly TimeProvider _time;
    private readonly long _windowTicks;

    public SlowStart(SlowStartConfig config, TimeProvider time)
    {
        _config = config;
        _time = time;
        _windowTicks = (long)(config.Window.TotalSeconds * time.TimestampFrequency);
    }

    public long Now() => _time.GetTimestamp();

    /// <summary>True when some host of <paramref name="hosts"/> is still within its window at <paramref name="now"/>.</summary>
    public bool AnyInWindow(EndpointState[] hosts, long now)
    {
        foreach (var host in hosts)
        {
            if (InWindow(host, now))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The host's weight at <paramref name="now"/>, scaled while it is in slow start.</summary>
    public double Weight(EndpointState host, long now)
    {
        if (!InWindow(host, now))
        {
            return host.Weight;
        }

        var age = TimeSpan.FromSeconds((now - host.AvailableSince) / (double)_time.TimestampFrequency);
        return host.Weight * _config.Factor(age);
    }

    private bool InWindow(EndpointState host, long now)
    {
        var since = host.AvailableSince;
        return since != long.MinValue && now - since < _windowTicks;
    }
}
