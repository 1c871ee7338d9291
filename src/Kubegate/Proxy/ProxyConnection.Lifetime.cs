using System.Net.Sockets;
using Kubegate.AccessLog;

namespace Kubegate.Proxy;

internal sealed partial class ProxyConnection
{
    private static readonly LingerOption ResetOnClose = new(enable: true, seconds: 0);

    private int _abortState;
    private bool _upstreamClosedFirst;

    /// <summary>True once the connection was closed and accounted for.</summary>
    public bool IsClosed => Volatile.Read(ref _closeState) != 0;

    /// <summary>
    /// Called about once a second by <see cref="ConnectionManager"/>: enforces <c>idle_timeout</c> and
    /// <c>max_downstream_connection_duration</c> with one shared timer instead of a timer per connection.
    /// </summary>
    public void OnHeartbeat(long now)
    {
        if (_upstream is null || Volatile.Read(ref _abortState) != 0)
        {
            return;
        }

        var tcpProxy = _listener.TcpProxy;
        if (tcpProxy.MaxDownstreamConnectionDuration is { } maxDuration && now - StartTimestamp >= (long)maxDuration.TotalMilliseconds)
        {
            ResponseFlags |= ResponseFlags.DurationTimeout;
            _listener.TcpProxyStats.MaxDownstreamConnectionDuration.Increment();
            Log.MaxDurationReached(_context.Logger, Id);
            Abort(CloseReason.MaxDuration);
            return;
        }

        var idle = tcpProxy.IdleTimeout;
        if (idle > TimeSpan.Zero && now - Volatile.Read(ref _lastActivity) >= (long)idle.TotalMilliseconds)
        {
            _listener.TcpProxyStats.IdleTimeout.Increment();
            Log.IdleTimeout(_context.Logger, Id, idle.TotalSeconds);
            Abort(CloseReason.IdleTimeout);
            return;
        }

        if (_listener.AccessLogFlushIntervalMs > 0)
        {
            FlushAccessLogIfDue(now);
        }
    }

    /// <summary>Closes both sides now (shutdown, drain deadline): a plain close, FIN where the kernel can.</summary>
    public void CloseForShutdown() => Abort(CloseReason.Shutdown);

    /// <summary>
    /// The shutdown drain's close at a "request boundary": when the connection relays and has moved no byte either
    /// way for <paramref name="quietMilliseconds"/>, closes it as an idle timeout does (FIN). TLS is not terminated,
    /// so quiet is the only sign that no request or response is in flight. True when this call closed it.
    /// </summary>
    public bool TryCloseQuiet(long now, long quietMilliseconds)
    {
        var quiet = now - Volatile.Read(ref _lastActivity);
        if (_upstream is null || quiet < quietMilliseconds || !Abort(CloseReason.Drained))
        {
            return false;
        }

        Log.DrainClosed(_context.Logger, Id, quiet);
        return true;
    }

    /// <summary>
    /// Tears both sockets down from any thread; the copy loops then end on their own and <see cref="Close"/>
    /// does the accounting. A reset closes with SO_LINGER 0, so the peers see RST rather than a clean end.
    /// </summary>
    /// <returns>False when the connection was already being torn down.</returns>
    private bool Abort(CloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _abortState, 1, 0) != 0)
        {
            return false;
        }

        _closeReason = reason;
        var upstream = _upstream;
        if (reason == CloseReason.Reset)
        {
            SetLingerZero(_downstream);
            if (upstream is not null)
            {
                SetLingerZero(upstream);
            }
        }
        else
        {
            // .NET closes a socket that still has an operation pending (our zero-byte wait) abortively, with RST,
            // unless its send side was shut down first. A timeout or shutdown is a normal end: send FIN.
            ShutdownQuietly(_downstream);
            if (upstream is not null)
            {
                ShutdownQuietly(upstream);
            }
        }

        _downstream.Dispose();
        upstream?.Dispose();
        return true;
    }

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already shut down, reset by the peer or closed: the close below is all that is left to do.
        }
    }

    private static void SetLingerZero(Socket socket)
    {
        try
        {
            socket.LingerState = ResetOnClose;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed or reset: nothing left to reset.
        }
    }

    /// <summary>Releases everything and updates the stats, exactly once, after both directions ended.</summary>
    private void Close()
    {
        if (Interlocked.Exchange(ref _closeState, 1) != 0)
        {
            return;
        }

        if (_closeReason == CloseReason.None)
        {
            _closeReason = CloseReason.Normal;
        }

        Interlocked.Exchange(ref _abortState, 1);
        _downstream.Dispose();
        _upstream?.Dispose();
        _downstreamReceive.Dispose();
        _upstreamReceive?.Dispose();
        _downstreamSend?.Dispose();
        _upstreamSend?.Dispose();

        var listenerStats = _listener.ListenerStats;
        listenerStats.DownstreamCxActive.Decrement();
        listenerStats.DownstreamCxDestroy.Increment();
        var closedAt = _context.Connections.NowMilliseconds();
        listenerStats.DownstreamCxLengthMs.Record(closedAt - StartTimestamp);

        if (_upstream is not null && _cluster is not null && _host is not null)
        {
            var stats = _cluster.Stats;
            stats.UpstreamCxActive.Decrement();
            stats.UpstreamRqActive.Decrement();
            stats.UpstreamCxDestroy.Increment();
            stats.UpstreamCxLengthMs.Record(closedAt - _upstreamConnectedAt);
            (_upstreamClosedFirst ? stats.UpstreamCxDestroyRemote : stats.UpstreamCxDestroyLocal).Increment();
            _host.OnConnectionClosed();
        }

        WriteFinalAccessLog(closedAt);
        Log.ConnectionClosed(_context.Logger, Id, _closeReason.ToString(), BytesReceived, BytesSent, closedAt - StartTimestamp);
        _context.Connections.Remove(this);
    }
}
