using Kubegate.Clusters;

namespace Kubegate.LoadBalancing;

/// <summary>
/// ROUND_ROBIN: rotation over the hosts; with unequal weights, the set's smooth weighted schedule. Deterministic: a
/// new balancer starts at the first host, and N picks over N equally weighted hosts hit each exactly once.
/// </summary>
internal sealed class RoundRobinLoadBalancer : ILoadBalancer
{
    private long _next = -1;

    public EndpointState? Pick(EndpointSet hosts)
    {
        var count = hosts.Count;
        if (count == 0)
        {
            return null;
        }

        var index = (ulong)Interlocked.Increment(ref _next);
        if (hosts.EqualWeights)
        {
            return hosts.Hosts[(int)(index % (ulong)count)];
        }

        var schedule = hosts.WeightedSchedule;
        return hosts.Hosts[schedule[(int)(index % (ulong)schedule.Length)]];
    }
}
