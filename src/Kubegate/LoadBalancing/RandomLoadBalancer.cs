using Kubegate.Clusters;

namespace Kubegate.LoadBalancing;

/// <summary>RANDOM: a uniformly random host. Like Envoy's random balancer it does not look at weights.</summary>
internal sealed class RandomLoadBalancer : ILoadBalancer
{
    private readonly Random _random;

    public RandomLoadBalancer(Random? random = null) => _random = random ?? Random.Shared;

    public EndpointState? Pick(EndpointSet hosts) =>
        hosts.Count == 0 ? null : hosts.Hosts[hosts.Count == 1 ? 0 : _random.Next(hosts.Count)];
}
