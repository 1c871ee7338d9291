using Kubegate.Clusters;

namespace Kubegate.LoadBalancing;

/// <summary>A host's weight for one proportional pick (a struct, so a pick allocates nothing and calls no delegate).</summary>
internal interface IHostWeight
{
    double Of(EndpointState host);
}

/// <summary>A random host with probability proportional to its weight: one random number per pick.</summary>
internal static class ProportionalPick
{
    public static EndpointState Pick<TWeight>(EndpointState[] hosts, Random random, TWeight weight)
        where TWeight : struct, IHostWeight
    {
        double total = 0;
        foreach (var host in hosts)
        {
            total += weight.Of(host);
        }

        var target = random.NextDouble() * total;
        foreach (var host in hosts)
        {
            target -= weight.Of(host);
            if (target < 0)
            {
                return host;
            }
        }

        return hosts[^1];
    }
}
