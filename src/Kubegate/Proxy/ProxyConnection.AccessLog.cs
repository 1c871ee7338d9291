using System.Net;
using Kubegate.AccessLog;
using Kubegate.AccessLog.Tls;
using Kubegate.Proxy.Reactors;

namespace Kubegate.Proxy;

internal sealed partial class ProxyConnection
{
    // A ClientHello larger than this is not worth holding on to: the SNI is then reported as unknown.
    private const int MaxClientHelloBytes = 16 * 1024;

    // Set only when the listener has an access log: the copy loop looks at the client's first bytes for the SNI
    // until this is cleared (found, not TLS, or too long), so without an access log the hot path sees one bool.
    private bool _inspectClientHello;
    private byte[]? _clientHello;
    private int _clientHelloLength;
    private string? _requestedServerName;
    private IPEndPoint? _upstreamLocalEndPoint;
    private long _lastAccessLogFlush;

    /// <summary>The SNI the client asked for in its TLS ClientHello; null when not (yet) known or not TLS.</summary>
    public string? RequestedServerName => Volatile.Read(ref _requestedServerName);

    private void InitAccessLog()
    {
        // With tls_inspector the SNI comes from the inspection, before any byte is relayed.
        _inspectClientHello = _listener.HasAccessLog && !_listener.InspectsTls;
        _lastAccessLogFlush = StartTimestamp;
    }

    /// <summary>
    /// Reads the SNI from bytes the downstream copy already received (no extra syscall, no peeking). A ClientHello
    /// split over several reads is collected in a small buffer, allocated only in that case.
    /// </summary>
    private void InspectClientHello(ReadOnlySpan<byte> received)
    {
        ReadOnlySpan<byte> data = received;
        if (_clientHello is not null)
        {
            var take = Math.Min(received.Length, _clientHello.Length - _clientHelloLength);
            received[..take].CopyTo(_clientHello.AsSpan(_clientHelloLength));
            _clientHelloLength += take;
            data = _clientHello.AsSpan(0, _clientHelloLength);
        }

        var result = TlsClientHello.TryGetServerName(data, out var serverName);
        if (result == ClientHelloParseResult.NeedMoreData && data.Length < MaxClientHelloBytes)
        {
            if (_clientHello is null)
            {
                _clientHello = new byte[MaxClientHelloBytes];
                data.CopyTo(_clientHello);
                _clientHelloLength = data.Length;
            }

            return;
        }

        if (result == ClientHelloParseResult.Complete)
        {
            Volatile.Write(ref _requestedServerName, serverName);
        }

        _inspectClientHello = false;
        _clientHello = null;
    }

    /// <summary>The client's address on this proxy (the listener's address); captured at accept when an access log wants it.</summary>
    public IPEndPoint? DownstreamLocalEndPoint { get; private set; }

    private void OnUpstreamConnectedForAccessLog()
    {
        if (!_listener.HasAccessLog)
        {
            return;
        }

        _upstreamLocalEndPoint = Native.LocalEndPoint(_upstreamFd);
        if (_chain!.FlushOnConnected)
        {
            AccessLogger.WriteAll(_chain.TcpProxyAccessLoggers, BuildRecord(_reactor.Now, final: false));
        }
    }

    /// <summary>On the reactor, when the heartbeat asked (<see cref="OnHeartbeat"/>): writes the periodic entry of <c>access_log_flush_interval</c> when due.</summary>
    private void FlushAccessLogIfDue(long now)
    {
        var interval = _chain?.AccessLogFlushIntervalMs ?? 0;
        if (interval > 0 && now - _lastAccessLogFlush >= interval)
        {
            Volatile.Write(ref _lastAccessLogFlush, now);
            AccessLogger.WriteAll(_chain!.TcpProxyAccessLoggers, BuildRecord(now, final: false));
        }
    }

    private void WriteStartAccessLog()
    {
        if (_chain is { FlushOnStart: true } chain)
        {
            AccessLogger.WriteAll(chain.TcpProxyAccessLoggers, BuildRecord(StartTimestamp, final: false));
        }
    }

    private void WriteFinalAccessLog(long closedAt)
    {
        if (_listener.HasAccessLog)
        {
            var record = BuildRecord(closedAt, final: true);
            AccessLogger.WriteAll(_listener.ListenerAccessLoggers, record);
            if (_chain is { } chain)
            {
                AccessLogger.WriteAll(chain.TcpProxyAccessLoggers, record);
            }
        }
    }

    private AccessLogRecord BuildRecord(long now, bool final) => new()
    {
        StartTime = StartTime,
        Duration = TimeSpan.FromMilliseconds(Math.Max(0, now - StartTimestamp)),
        BytesReceived = BytesReceived,
        BytesSent = BytesSent,
        ResponseFlags = ResponseFlags,
        UpstreamHost = _host?.EndPoint,
        UpstreamCluster = _cluster?.Config.ObservabilityName,
        UpstreamLocalAddress = _upstreamLocalEndPoint,
        UpstreamTransportFailureReason = UpstreamFailureReason,
        DownstreamRemoteAddress = DownstreamRemoteEndPoint as IPEndPoint,
        DownstreamLocalAddress = DownstreamLocalEndPoint,
        ConnectionId = Id,
        ConnectionTerminationDetails = final ? _terminationDetails ?? TerminationDetails(_closeReason) : null,
        RequestedServerName = RequestedServerName,
        UpstreamRequestAttemptCount = ConnectAttempts,
        ListenerName = _listener.Config.Name,
    };

    private static string? TerminationDetails(CloseReason reason) => reason switch
    {
        CloseReason.IdleTimeout => "tcp_session_idle_timeout",
        CloseReason.MaxDuration => "max_downstream_connection_duration",
        CloseReason.Rebalanced => "kubegate_rebalance",
        CloseReason.EndpointDisabled => "kubegate_endpoint_disabled",
        CloseReason.MaxConnectionAge => "kubegate_max_connection_age",
        _ => null,
    };
}
