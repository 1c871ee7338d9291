using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Discovery;

internal sealed partial class ApiServerDiscovery
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.DiscoveryStarted, LogLevel.Information, "cluster '{Cluster}': discovering apiservers from default/kubernetes through {Listener} (verified as {ServerName}), writing {Path}", EventName = "DiscoveryStarted")]
        public static partial void Started(ILogger logger, string cluster, string listener, string serverName, string path);

        [LoggerMessage(EventIds.DiscoveryEndpointsWritten, LogLevel.Information, "cluster '{Cluster}': apiservers changed to {Endpoints} ({Source}); wrote {Path}", EventName = "DiscoveryEndpointsWritten")]
        public static partial void Written(ILogger logger, string cluster, string endpoints, string source, string path);

        [LoggerMessage(EventIds.DiscoveryUpdateRefused, LogLevel.Warning, "cluster '{Cluster}': apiserver list refused, keeping the last good one in {Path}: {Reason}", EventName = "DiscoveryUpdateRefused")]
        public static partial void Refused(ILogger logger, string cluster, string path, string reason);

        [LoggerMessage(EventIds.DiscoveryRequestFailed, LogLevel.Warning, "cluster '{Cluster}': reading default/kubernetes failed ({Reason}); retrying in {DelayMs} ms", EventName = "DiscoveryRequestFailed")]
        public static partial void RequestFailed(ILogger logger, string cluster, string reason, long delayMs);

        [LoggerMessage(EventIds.DiscoveryRelist, LogLevel.Information, "cluster '{Cluster}': watch from resourceVersion {ResourceVersion} expired (410 Gone); listing again", EventName = "DiscoveryRelist")]
        public static partial void Relist(ILogger logger, string cluster, string resourceVersion);

        [LoggerMessage(EventIds.DiscoveryWriteFailed, LogLevel.Error, "cluster '{Cluster}': cannot write {Path}: {Reason}", EventName = "DiscoveryWriteFailed")]
        public static partial void WriteFailed(ILogger logger, string cluster, string path, string reason);
    }
}
