using Kubegate.Clusters;
using Kubegate.Configuration;

namespace Kubegate.LoadBalancing;

/// <summary>Creates the balancer a cluster's <c>lb_policy</c> names.</summary>
internal static class LoadBalancerFactory
{
    /// <summary>The factory a <see cref="ClusterState"/> builds its balancers with.</summary>
    /// <param name="random">Randomness for <c>RANDOM</c> and <c>LEAST_REQUEST</c>; null means <see cref="Random.Shared"/>.</param>
    public static Func<ClusterConfig, ILoadBalancer> For(Random? random = null) => config => Create(config, random);

    public static ILoadBalancer Create(ClusterConfig cluster, Random? random = null) => cluster.LbPolicy switch
    {
        LbPolicy.RoundRobin => new RoundRobinLoadBalancer(),
        LbPolicy.LeastRequest => new LeastRequestLoadBalancer(cluster.LeastRequestChoiceCount, cluster.LeastRequestActiveRequestBias, random),
        LbPolicy.Random => new RandomLoadBalancer(random),
        _ => throw new ArgumentOutOfRangeException(nameof(cluster), cluster.LbPolicy, "unsupported lb_policy"),
    };
}
