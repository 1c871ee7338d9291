using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Kubegate.AccessLog;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;

namespace Kubegate.Proxy;

/// <summary>
/// One downstream connection and its upstream: picks a host, connects (retrying on another host), then copies
/// bytes both ways until both directions are done. TLS is never touched: the bytes kubectl sends are the bytes
/// the apiserver receives.
/// </summary>
/// <remarks>
/// The relay waits for data with a zero-byte receive, so an idle connection holds no buffer; only then it rents a
/// pooled buffer and copies (messages) or rents a pooled pipe and splices (streams, Linux), drains the socket without
/// blocking and returns the buffer or pipe before waiting again. Reads and writes report errors as
/// <see cref="SocketError"/> values. A FIN in one direction shuts down only that
/// direction (half-close); a reset is passed on as a reset.
/// </remarks>
internal sealed partial class ProxyConnection : IDataReadyHandler
{
    // 64 KiB: large enough that a bulk transfer costs one syscall pair per 64 KiB, small enough that thousands of
    // busy connections stay within a few hundred MiB. ArrayPool.Shared keeps per-core caches of this size.
    internal const int BufferSize = 64 * 1024;

    // After this many back-to-back reads a busy direction yields its thread so one bulk transfer cannot starve
    // other connections' continuations (there are only as many pool threads as cores to begin with).
    private const int ReadsBeforeYield = 16;

    private readonly ProxyContext _context;
    private readonly ListenerRuntime _listener;
    private readonly Socket _downstream;
    private readonly SocketAwaitableEventArgs _downstreamReceive = new();
    private SocketAwaitableEventArgs? _upstreamReceive;
    private SocketAwaitableEventArgs? _downstreamSend;
    private SocketAwaitableEventArgs? _upstreamSend;
    private Socket? _upstream;
    private ClusterState? _cluster;
    private EndpointState? _host;
    private long _lastActivity;
    private long _bytesReceived;
    private long _bytesSent;
    private int _closeState;
    private CloseReason _closeReason;
    private long _upstreamConnectedAt; // upstream connect success time (ConnectionManager ms clock), for upstream_cx_length_ms

    // The relay's state per direction: no state machine waits while a direction is idle (see Relay).
    private int _openDirections;
    private RelayMode _modeToUpstream;
    private RelayMode _modeToDownstream;
    private ValueTask<RoundResult> _pendingRoundToUpstream;
    private ValueTask<RoundResult> _pendingRoundToDownstream;
    private Action? _resumeToUpstream;
    private Action? _resumeToDownstream;

    public ProxyConnection(long id, Socket downstream, ListenerRuntime listener, ProxyContext context)
    {
        Id = id;
        _downstream = downstream;
        _listener = listener;
        _context = context;
        StartTime = context.Time.GetUtcNow();
        StartTimestamp = _context.Connections.NowMilliseconds();
        _lastActivity = StartTimestamp;
        InitAccessLog();
    }

    private enum CloseReason
    {
        None,
        Normal,
        IdleTimeout,
        MaxDuration,
        Reset,
        Shutdown,
        Drained,
    }

    public long Id { get; }

    public DateTimeOffset StartTime { get; }

    public long StartTimestamp { get; }

    public ResponseFlags ResponseFlags { get; private set; }

    public string? UpstreamFailureReason { get; private set; }

    public int ConnectAttempts { get; private set; }

    public EndpointState? UpstreamHost => _host;

    public ClusterState? Cluster => _cluster;

    /// <summary>Bytes read from the downstream (client).</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Bytes written to the downstream (client).</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    public EndPoint? DownstreamRemoteEndPoint { get; private set; }

    public EndPoint? DownstreamLocalEndPoint { get; private set; }

    public ListenerRuntime Listener => _listener;

    /// <summary>
    /// Sets the connection up, connects upstream and starts the relay, which runs the connection to its end (the
    /// last direction to end closes it); never throws.
    /// </summary>
    public Task RunAsync()
    {
        var stats = _listener.TcpProxyStats;
        stats.DownstreamCxTotal.Increment();
        try
        {
            DownstreamRemoteEndPoint = _downstream.RemoteEndPoint;
            DownstreamLocalEndPoint = _downstream.LocalEndPoint;
            _downstream.NoDelay = true;
            if (_listener.FlushOnStart)
            {
                WriteStartAccessLog();
            }

            if (ResolveCluster(out var cluster))
            {
                return ConnectAndRelayAsync(cluster);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Only reachable when the socket was torn down underneath a setup call (shutdown, abort).
            Log.ConnectionFailed(_context.Logger, Id, ex.Message);
        }

        Close();
        return Task.CompletedTask;
    }

    private bool ResolveCluster(out ClusterState cluster)
    {
        var name = _listener.PickClusterName(_context.Random);
        if (name is null || !_context.Clusters.TryGet(name, out cluster))
        {
            cluster = null!;
            ResponseFlags |= ResponseFlags.NoClusterFound;
            _listener.TcpProxyStats.DownstreamCxNoRoute.Increment();
            Log.NoCluster(_context.Logger, Id, _listener.Config.Name, name ?? "<none>");
            return false;
        }

        _cluster = cluster;
        return true;
    }

    /// <summary>
    /// Connects upstream (retrying on another host) and starts the relay. The only asynchronous method of the
    /// setup: each one that suspends (every connection suspends in its connect) leaves a state-machine box behind
    /// as garbage among the connection's long-lived objects.
    /// </summary>
    private async Task ConnectAndRelayAsync(ClusterState cluster)
    {
        var relaying = false;
        try
        {
            var config = cluster.Config;
            var clusterStats = cluster.Stats;
            var maxAttempts = Math.Max(1, _listener.TcpProxy.MaxConnectAttempts);
            EndpointState[]? tried = null;

            for (var attempt = 1; attempt <= maxAttempts; attempt++)
            {
                if (clusterStats.UpstreamCxActive.Value >= config.MaxConnections)
                {
                    ResponseFlags |= ResponseFlags.UpstreamOverflow;
                    clusterStats.UpstreamCxOverflow.Increment();
                    Log.UpstreamOverflow(_context.Logger, Id, cluster.Name, config.MaxConnections);
                    return;
                }

                var host = PickHost(cluster, tried, attempt - 1);
                if (host is null)
                {
                    ResponseFlags |= ResponseFlags.NoHealthyUpstream;
                    clusterStats.UpstreamCxNoneHealthy.Increment();
                    Log.NoHealthyUpstream(_context.Logger, Id, cluster.Name);
                    return;
                }

                ConnectAttempts = attempt;
                _host = host;
                var connectStart = _context.Connections.NowMilliseconds();
                // Inline rather than a method of its own: see the summary.
                var socket = CreateUpstreamSocket(host, config, clusterStats);
                var args = _upstreamReceive ??= new SocketAwaitableEventArgs();
                SocketOperationResult connected;
                // Disposing the socket is what aborts a pending connect on every platform; the operation then
                // completes with OperationAborted, and the flag tells a timeout from any other failure. A bare timer
                // rather than a CancellationTokenSource: every connection pays for this, and the token's source,
                // callback node and registration would be a few hundred bytes of garbage each time.
                var timeout = new ConnectTimeout(socket);
                var timer = _context.Time.CreateTimer(ConnectTimeout.Fire, timeout, config.ConnectTimeout, Timeout.InfiniteTimeSpan);
                try
                {
                    connected = await args.ConnectAsync(socket, host.EndPoint).ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                    // The timeout fired before the connect was even issued (a stalled thread): the same as a timeout.
                    connected = new SocketOperationResult(0, SocketError.OperationAborted);
                }
                finally
                {
                    // Waits for a callback in progress, so the flag is final below.
                    await timer.DisposeAsync().ConfigureAwait(false);
                }

                var timedOut = timeout.Fired;
                var result = timedOut ? SocketError.TimedOut : connected.Error;
                if (connected.Succeeded && !timedOut)
                {
                    socket.Blocking = false;
                    _upstreamConnectedAt = _context.Connections.NowMilliseconds();
                    clusterStats.UpstreamCxConnectMs.Record(_upstreamConnectedAt - connectStart);
                    cluster.Health?.OnConnectResult(host, UpstreamConnectResult.Success);
                    _upstream = socket;
                    _lastActivity = _upstreamConnectedAt;
                    OnUpstreamConnectedForAccessLog();
                    relaying = true;
                    StartRelay();
                    return;
                }

                socket.Dispose();

                // The args were bound to the failed socket; a fresh one serves the next attempt.
                args.Dispose();
                _upstreamReceive = null;

                ResponseFlags |= ResponseFlags.UpstreamConnectionFailure;
                UpstreamFailureReason = timedOut ? null : "delayed_connect_error:_" + FailureText(result);
                clusterStats.UpstreamCxConnectFail.Increment();
                if (timedOut)
                {
                    clusterStats.UpstreamCxConnectTimeout.Increment();
                }

                host.OnConnectFailed(timedOut);
                cluster.Health?.OnConnectResult(host, timedOut ? UpstreamConnectResult.Timeout : UpstreamConnectResult.Failed);
                clusterStats.UpstreamCxActive.Decrement();
                clusterStats.UpstreamRqActive.Decrement();
                Log.UpstreamConnectFailed(_context.Logger, Id, cluster.Name, host.AddressText, attempt, maxAttempts, timedOut ? "timeout" : result.ToString());

                if (maxAttempts > 1)
                {
                    tried ??= new EndpointState[maxAttempts];
                    tried[attempt - 1] = host;
                }
            }

            ResponseFlags |= ResponseFlags.UpstreamRetryLimitExceeded;
            clusterStats.UpstreamCxConnectAttemptsExceeded.Increment();
            Log.UpstreamConnectAttemptsExceeded(_context.Logger, Id, cluster.Name, maxAttempts);
            return;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Only reachable when the socket was torn down underneath a setup call (shutdown, abort).
            Log.ConnectionFailed(_context.Logger, Id, ex.Message);
        }
        finally
        {
            if (!relaying)
            {
                Close();
            }
        }
    }

    /// <summary>
    /// Asks the balancer for a host, preferring one not tried yet on this connection: a retry should go to another
    /// apiserver when one exists, whatever the policy (a random pick could otherwise land on the dead host again).
    /// </summary>
    private static EndpointState? PickHost(ClusterState cluster, EndpointState[]? tried, int triedCount)
    {
        var host = cluster.Pick();
        if (host is null || tried is null || triedCount == 0)
        {
            return host;
        }

        var available = cluster.AvailableHosts.Count;
        for (var i = 0; i < available && Array.IndexOf(tried, host, 0, triedCount) >= 0; i++)
        {
            host = cluster.Pick() ?? host;
        }

        return host;
    }

    private static Socket CreateUpstreamSocket(EndpointState host, ClusterConfig config, Stats.ClusterStats clusterStats)
    {
        var socket = new Socket(host.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        if (config.TcpKeepalive is { } keepalive)
        {
            ApplyKeepalive(socket, keepalive);
        }

        host.OnConnectStarted();
        clusterStats.UpstreamCxTotal.Increment();
        clusterStats.UpstreamCxActive.Increment();
        clusterStats.UpstreamRqTotal.Increment();
        clusterStats.UpstreamRqActive.Increment();
        return socket;
    }

    private static void ApplyKeepalive(Socket socket, TcpKeepaliveConfig keepalive)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);

        // Zero leaves the kernel default in place (net.ipv4.tcp_keepalive_*): the kernel refuses 0 for these options.
        if (keepalive.Time is > 0 and var time)
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)Math.Min(time, int.MaxValue));
        }

        if (keepalive.Interval is > 0 and var interval)
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)Math.Min(interval, int.MaxValue));
        }

        if (keepalive.Probes is > 0 and var probes)
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, (int)Math.Min(probes, int.MaxValue));
        }
    }

    private static string FailureText(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "Connection_refused",
        SocketError.ConnectionReset => "Connection_reset_by_peer",
        SocketError.HostUnreachable => "No_route_to_host",
        SocketError.NetworkUnreachable => "Network_is_unreachable",
        SocketError.TimedOut => "Connection_timed_out",
        _ => error.ToString(),
    };

    /// <summary>The state of one connect's timeout: the socket to abort, and whether it was.</summary>
    private sealed class ConnectTimeout(Socket socket)
    {
        public static readonly TimerCallback Fire = static state =>
        {
            var timeout = (ConnectTimeout)state!;
            timeout.Fired = true;
            timeout._socket.Dispose();
        };

        private readonly Socket _socket = socket;

        public bool Fired { get; private set; }
    }
}
