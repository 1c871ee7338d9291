using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health;

internal sealed partial class ClusterHealth
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.HostConnectionsClosedOnHealthFailure, LogLevel.Information, "cluster {Cluster}: closed {Count} connection(s) to unhealthy host {Host} (close_connections_on_host_health_failure)", EventName = "HostConnectionsClosedOnHealthFailure")]
        public static partial void ConnectionsClosed(ILogger logger, string cluster, string host, int count);

        [LoggerMessage(EventIds.HostRemovedAfterHealthFailure, LogLevel.Information, "cluster {Cluster}: host {Host}, kept after leaving EDS while it passed checks, failed one and is removed", EventName = "HostRemovedAfterHealthFailure")]
        public static partial void HostRemovedAfterHealthFailure(ILogger logger, string cluster, string host);
    }
}
