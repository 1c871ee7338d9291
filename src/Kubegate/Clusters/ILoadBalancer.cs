namespace Kubegate.Clusters;

/// <summary>
/// Picks one host of an <see cref="EndpointSet"/> for a new connection. Implementations are thread-safe. Declared
/// here, where it is called, and implemented in <c>LoadBalancing/</c>, so the balancers depend on the host model and
/// not the other way round (YARP's <c>ILoadBalancingPolicy</c> over its <c>Model</c>).
/// </summary>
internal interface ILoadBalancer
{
    /// <summary>Returns a host of <paramref name="hosts"/>, or null when it is empty.</summary>
    EndpointState? Pick(EndpointSet hosts);
}
