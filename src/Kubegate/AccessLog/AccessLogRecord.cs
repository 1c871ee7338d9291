using System.Net;

namespace Kubegate.AccessLog;

/// <summary>
/// What one access-log entry knows about a TCP connection: filled by the proxy when the connection ends (or at an
/// intermediate flush), rendered by a compiled format. Plain data, no behaviour.
/// </summary>
internal sealed class AccessLogRecord
{
    /// <summary>When the downstream connection was accepted (UTC).</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>Connection lifetime so far (the whole lifetime for the final entry).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Bytes read from the downstream client.</summary>
    public long BytesReceived { get; init; }

    /// <summary>Bytes written to the downstream client.</summary>
    public long BytesSent { get; init; }

    public ResponseFlags ResponseFlags { get; init; }

    /// <summary>The chosen upstream host (<c>ip:port</c>); null when none was chosen (NC, UH, UO).</summary>
    public IPEndPoint? UpstreamHost { get; init; }

    /// <summary>The cluster's observability name; null when the cluster was not found.</summary>
    public string? UpstreamCluster { get; init; }

    public IPEndPoint? UpstreamLocalAddress { get; init; }

    /// <summary>e.g. <c>delayed_connect_error:_Connection_refused</c>; null when the connect did not fail that way.</summary>
    public string? UpstreamTransportFailureReason { get; init; }

    public IPEndPoint? DownstreamRemoteAddress { get; init; }

    public IPEndPoint? DownstreamLocalAddress { get; init; }

    public long ConnectionId { get; init; }

    /// <summary>Why kubegate closed the connection (e.g. <c>tcp_session_idle_timeout</c>); null for a normal end.</summary>
    public string? ConnectionTerminationDetails { get; init; }

    /// <summary>The SNI of the client's TLS ClientHello, read from the first bytes without terminating TLS.</summary>
    public string? RequestedServerName { get; init; }

    public int UpstreamRequestAttemptCount { get; init; }

    /// <summary>The listener's name (for <c>%FILTER_CHAIN_NAME%</c>-style operators and the dashboard).</summary>
    public string? ListenerName { get; init; }
}
