using Kubegate.Clusters;
using Kubegate.Configuration;

namespace Kubegate.LoadBalancing;

/// <summary>Creates the balancer a cluster's <c>lb_policy</c> names.</summary>
internal static class LoadBalancerFactory
{
    /// <summary>The factory a <see cref="ClusterState"/> builds its balancers with.</summary>
    /// <param name="random">Randomness for <c>RANDOM</c>, <c>LEAST_REQUEST</c> and slow start; null means <see cref="Random.Shared"/>.</param>
    /// <param name="time">The clock of slow start; null means the system clock.</param>
    public static Func<ClusterConfig, ILoadBalancer> For(Random? random = null, TimeProvider? time = null) => config => Create(config, random, time);

    public static ILoadBalancer Create(ClusterConfig cluster, Random? random = null, TimeProvider? time = null) => cluster.LbPolicy switch
    {
        LbPolicy.RoundRobin => new RoundRobinLoadBalancer(SlowStartOf(cluster, time), random),
        LbPolicy.LeastRequest => new LeastRequestLoadBalancer(cluster.LeastRequestChoiceCount, cluster.LeastRequestActiveRequestBias, random, SlowStartOf(cluster, time)),
        LbPolicy.Random => new RandomLoadBalancer(random),
        _ => throw new ArgumentOutOfRangeException(nameof(cluster), cluster.LbPolicy, "unsupported lb_policy"),
    };

    private static SlowStart? SlowStartOf(ClusterConfig cluster, TimeProvider? time) =>
        cluster.SlowStart is { } config ? new SlowStart(config, time ?? TimeProvider.System) : null;
}
