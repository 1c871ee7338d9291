using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health.Active;

internal sealed partial class ActiveHealthChecker
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.HealthCheckHostUnhealthy, LogLevel.Warning, "cluster {Cluster}: host {Host} is unhealthy: {Reason}", EventName = "HealthCheckHostUnhealthy")]
        public static partial void HostUnhealthy(ILogger logger, string cluster, string host, string reason);

        [LoggerMessage(EventIds.HealthCheckHostDraining, LogLevel.Warning, "cluster {Cluster}: host {Host} is draining (its readiness check failed with an answer; open connections are left to end): {Reason}", EventName = "HealthCheckHostDraining")]
        public static partial void HostDraining(ILogger logger, string cluster, string host, string reason);

        [LoggerMessage(EventIds.HealthCheckHostDownAfterDraining, LogLevel.Warning, "cluster {Cluster}: draining host {Host} is down: {Reason}", EventName = "HealthCheckHostDownAfterDraining")]
        public static partial void HostDownAfterDraining(ILogger logger, string cluster, string host, string reason);

        [LoggerMessage(EventIds.HealthCheckHostHealthy, LogLevel.Information, "cluster {Cluster}: host {Host} is healthy: {Reason}", EventName = "HealthCheckHostHealthy")]
        public static partial void HostHealthy(ILogger logger, string cluster, string host, string reason);

        [LoggerMessage(EventId = EventIds.HealthCheckFailed, Message = "cluster {Cluster}: health check of {Host} failed ({FailureType}): {Reason}", EventName = "HealthCheckFailed")]
        public static partial void CheckFailed(ILogger logger, LogLevel level, string cluster, string host, string failureType, string reason);

        [LoggerMessage(EventIds.HealthCheckStarted, LogLevel.Debug, "cluster {Cluster}: {CheckerType} health checks every {IntervalSeconds} s ({NoTrafficSeconds} s until the first connection), TLS: {Tls}", EventName = "HealthCheckStarted")]
        public static partial void Started(ILogger logger, string cluster, string checkerType, double intervalSeconds, double noTrafficSeconds, bool tls);

        [LoggerMessage(EventIds.HealthCheckStopped, LogLevel.Debug, "cluster {Cluster}: health checks stopped", EventName = "HealthCheckStopped")]
        public static partial void Stopped(ILogger logger, string cluster);

        [LoggerMessage(EventIds.HealthCheckTlsConfigFailed, LogLevel.Error, "cluster {Cluster}: health checks cannot use TLS, every check will fail: {Error}", EventName = "HealthCheckTlsConfigFailed")]
        public static partial void TlsConfigFailed(ILogger logger, string cluster, string error);
    }
}
