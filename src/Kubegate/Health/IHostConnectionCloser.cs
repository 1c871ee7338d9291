using Kubegate.Clusters;

namespace Kubegate.Health;

/// <summary>
/// The data path, as health sees it: <c>close_connections_on_host_health_failure</c> is a request to close, not a
/// walk of the data path's connection objects. Implemented by the data path (Proxy/), which owns the connections
/// and closes them on its own threads.
/// </summary>
internal interface IHostConnectionCloser
{
    /// <summary>
    /// Asks the data path to close every open connection of <paramref name="cluster"/> to <paramref name="host"/>;
    /// returns how many were asked to close.
    /// </summary>
    int CloseConnections(ClusterState cluster, EndpointState host);
}
