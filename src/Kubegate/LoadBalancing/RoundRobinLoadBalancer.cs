using Kubegate.Clusters;

namespace Kubegate.LoadBalancing;

/// <summary>
/// ROUND_ROBIN: rotation over the hosts; with unequal weights, the set's smooth weighted schedule. Deterministic: a
/// new balancer starts at the first host, and N picks over N equally weighted hosts hit each exactly once. While a
/// host is in slow start, picks are random in proportion to the scaled weights (Envoy rebuilds its EDF schedule
/// from the same weights): the shares are Envoy's, the order is not a fixed rotation.
/// </summary>
internal sealed class RoundRobinLoadBalancer : ILoadBalancer
{
    private readonly SlowStart? _slowStart;
    private readonly Random _random;
    private long _next = -1;

    public RoundRobinLoadBalancer(SlowStart? slowStart = null, Random? random = null)
    {
        _slowStart = slowStart;
        _random = random ?? Random.Shared;
    }

    public EndpointState? Pick(EndpointSet hosts)
    {
        var count = hosts.Count;
        if (count == 0)
        {
            return null;
        }

        if (_slowStart is { } slowStart && count > 1)
        {
            var now = slowStart.Now();
            if (slowStart.AnyInWindow(hosts.Hosts, now))
            {
                return ProportionalPick.Pick(hosts.Hosts, _random, new SlowStartWeight(slowStart, now));
            }
        }

        var index = (ulong)Interlocked.Increment(ref _next);
        if (hosts.EqualWeights)
        {
            return hosts.Hosts[(int)(index % (ulong)count)];
        }

        var schedule = hosts.WeightedSchedule;
        return hosts.Hosts[schedule[(int)(index % (ulong)schedule.Length)]];
    }

    /// <summary>The configured weight, scaled while the host is in slow start.</summary>
    private readonly struct SlowStartWeight(SlowStart slowStart, long now) : IHostWeight
    {
        public double Of(EndpointState host) => slowStart.Weight(host, now);
    }
}
