using Kubegate.Clusters;

namespace Kubegate.LoadBalancing;

/// <summary>Picks one host of an <see cref="EndpointSet"/> for a new connection. Implementations are thread-safe.</summary>
internal interface ILoadBalancer
{
    /// <summary>Returns a host of <paramref name="hosts"/>, or null when it is empty.</summary>
    EndpointState? Pick(EndpointSet hosts);
}
