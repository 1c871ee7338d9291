using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy;

internal sealed partial class ProxyConnection
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.ConnectionNoCluster, LogLevel.Debug, "[C{ConnectionId}] listener {Listener}: cluster '{Cluster}' not found (NC)", EventName = "ConnectionNoCluster")]
        public static partial void NoCluster(ILogger logger, long connectionId, string listener, string cluster);

        [LoggerMessage(EventIds.ConnectionNoHealthyUpstream, LogLevel.Debug, "[C{ConnectionId}] cluster {Cluster}: no healthy upstream host (UH)", EventName = "ConnectionNoHealthyUpstream")]
        public static partial void NoHealthyUpstream(ILogger logger, long connectionId, string cluster);

        [LoggerMessage(EventIds.UpstreamConnectFailed, LogLevel.Debug, "[C{ConnectionId}] cluster {Cluster}: connect to {Host} failed (attempt {Attempt} of {MaxAttempts}): {Reason}", EventName = "UpstreamConnectFailed")]
        public static partial void UpstreamConnectFailed(ILogger logger, long connectionId, string cluster, string host, int attempt, int maxAttempts, string reason);

        [LoggerMessage(EventIds.UpstreamConnectAttemptsExceeded, LogLevel.Debug, "[C{ConnectionId}] cluster {Cluster}: all {MaxAttempts} connect attempts failed (URX)", EventName = "UpstreamConnectAttemptsExceeded")]
        public static partial void UpstreamConnectAttemptsExceeded(ILogger logger, long connectionId, string cluster, int maxAttempts);

        [LoggerMessage(EventIds.UpstreamOverflow, LogLevel.Debug, "[C{ConnectionId}] cluster {Cluster}: max_connections {MaxConnections} reached (UO)", EventName = "UpstreamOverflow")]
        public static partial void UpstreamOverflow(ILogger logger, long connectionId, string cluster, int maxConnections);

        [LoggerMessage(EventIds.ConnectionClosed, LogLevel.Trace, "[C{ConnectionId}] closed ({Reason}): {BytesReceived} bytes received, {BytesSent} bytes sent, {DurationMs} ms", EventName = "ConnectionClosed")]
        public static partial void ConnectionClosed(ILogger logger, long connectionId, string reason, long bytesReceived, long bytesSent, long durationMs);

        [LoggerMessage(EventIds.ConnectionIdleTimeout, LogLevel.Debug, "[C{ConnectionId}] idle for {IdleSeconds} s: closing", EventName = "ConnectionIdleTimeout")]
        public static partial void IdleTimeout(ILogger logger, long connectionId, double idleSeconds);

        [LoggerMessage(EventIds.ConnectionMaxDuration, LogLevel.Debug, "[C{ConnectionId}] max_downstream_connection_duration reached: closing (DT)", EventName = "ConnectionMaxDuration")]
        public static partial void MaxDurationReached(ILogger logger, long connectionId);

        [LoggerMessage(EventIds.ConnectionDrainClosed, LogLevel.Debug, "[C{ConnectionId}] shutdown drain: quiet for {QuietMs} ms, closing", EventName = "ConnectionDrainClosed")]
        public static partial void DrainClosed(ILogger logger, long connectionId, long quietMs);

        [LoggerMessage(EventIds.ConnectionNoFilterChain, LogLevel.Debug, "[C{ConnectionId}] listener {Listener}: no filter chain matches server name '{ServerName}', transport {Transport} (NR)", EventName = "ConnectionNoFilterChain")]
        public static partial void NoFilterChain(ILogger logger, long connectionId, string listener, string serverName, string transport);

        [LoggerMessage(EventIds.ListenerFiltersTimedOut, LogLevel.Debug, "[C{ConnectionId}] listener {Listener}: no ClientHello within listener_filters_timeout ({TimeoutMs} ms); {Outcome}", EventName = "ListenerFiltersTimedOut")]
        public static partial void ListenerFiltersTimedOut(ILogger logger, long connectionId, string listener, long timeoutMs, string outcome);

        [LoggerMessage(EventIds.ConnectionFailed, LogLevel.Debug, "[C{ConnectionId}] failed: {Message}", EventName = "ConnectionFailed")]
        public static partial void ConnectionFailed(ILogger logger, long connectionId, string message);
    }
}
