using System.Net;
using System.Net.Sockets;
using Kubegate.AccessLog;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.AccessLog.Tls;
using Kubegate.Health;
using Kubegate.Proxy.Filters;
using Kubegate.Proxy.Reactors;
using Kubegate.Proxy.Splice;

namespace Kubegate.Proxy;

/// <summary>
/// One downstream connection and its upstream, run by the reactor that accepted it: picks a host, connects
/// (retrying on another host), then relays bytes both ways until both directions are done. TLS is never touched:
/// the bytes kubectl sends are the bytes the apiserver receives.
/// </summary>
/// <remarks>
/// Reads top to bottom as the connection lives: <see cref="Start"/> → connect (<see cref="ConnectNext"/>,
/// <see cref="OnConnectCompleted"/>) → relay (<see cref="Pump"/>: one <see cref="Direction"/> each way) →
/// half-close (<see cref="PassOnEnd"/>) → <see cref="Close"/>. Everything runs on the reactor thread, so the state
/// needs no lock; other threads only ask (<see cref="RequestEnd"/>, <see cref="OnHeartbeat"/>) through the
/// reactor's queue. Sockets are registered edge-triggered for both directions once, and the connection remembers
/// which side is readable or writable. A direction rents a pooled buffer (messages) or a pooled pipe (streams)
/// only once its source has data, and gives it back before it waits again, so an idle connection holds neither;
/// under backpressure it keeps what it read until the destination takes it.
/// </remarks>
internal sealed partial class ProxyConnection : ReactorTimer, IReactorHandler, IReactorWork
{
    // 64 KiB: large enough that a bulk transfer costs one syscall pair per 64 KiB, small enough that thousands of
    // busy connections stay within a few hundred MiB. ArrayPool.Shared keeps per-core caches of this size.
    internal const int BufferSize = 64 * 1024;

    // Reads per turn before a busy connection lets the reactor serve its other connections (it continues in the
    // same loop iteration's deferred work): one bulk transfer cannot starve the watches sharing its reactor.
    private const int ReadsPerTurn = 16;

    private const int DownstreamSide = 0;
    private const int UpstreamSide = 1;
    private const uint SocketEvents = Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP | Native.EPOLLET;
    private const uint ReadableEvents = Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR;
    private const uint WritableEvents = Native.EPOLLOUT | Native.EPOLLHUP | Native.EPOLLERR;
    private const uint PeerClosedEvents = Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR;

    // Requests from other threads, carried out on the reactor (Execute).
    private const int EndRequested = 1;
    private const int FlushRequested = 2;

    private readonly ProxyContext _context;
    private readonly ListenerRuntime _listener;
    private FilterChainRuntime? _chain;

    // Filters of the chain that admitted the connection (they are told when it closes), whether the per-client cap
    // counted it, the deadline of the listener filters or of a delayed refusal, and why a filter closed it.
    private int _filtersPassed;
    private bool _clientCounted;
    private long _phaseDeadline;
    private string? _terminationDetails;
    private readonly Reactor _reactor;
    private readonly int _downstreamFd;
    private SocketAddressBuffer _peer;
    private IPEndPoint? _downstreamRemoteEndPoint;
    private int _upstreamFd = -1;
    private ulong _downstreamToken;
    private ulong _upstreamToken;
    private int _phase;
    private Readiness _ready;
    private Direction _toUpstream;
    private Direction _toDownstream;
    private bool _deferred;
    private ClusterState? _cluster;
    private EndpointState? _host;
    private long _lastActivity;
    private long _bytesReceived;
    private long _bytesSent;
    private CloseReason _closeReason;
    private bool _upstreamClosedFirst;
    private long _upstreamConnectedAt; // upstream connect success time (reactor clock), for upstream_cx_length_ms
    private bool _relayStarted;

    // Connect state: attempts so far, the hosts already tried (for retries), when the current attempt gives up.
    private int _maxAttempts;
    private EndpointState[]? _tried;
    private long _connectStart;
    private long _connectDeadline;

    // Cross-thread: set once an end was decided (by any thread), and the requests waiting for the reactor.
    private int _endDecided;
    private int _requests;
    private CloseReason _requestedReason;

    public ProxyConnection(long id, int downstreamFd, in SocketAddressBuffer peer, ListenerRuntime listener, ProxyContext context, Reactor reactor)
    {
        Id = id;
        _downstreamFd = downstreamFd;
        _peer = peer;
        _listener = listener;
        _context = context;
        _reactor = reactor;
        StartTime = context.Time.GetUtcNow();
        StartTimestamp = reactor.Now;
        _lastActivity = StartTimestamp;
        InitAccessLog();
    }

    private enum Phase
    {
        Setup,

        /// <summary>tls_inspector: waiting (with MSG_PEEK, nothing consumed) for the ClientHello that selects the chain.</summary>
        Inspecting,

        /// <summary>A filter refused the connection with a delay (connection_limit's <c>delay</c>): held, unread, then closed.</summary>
        Refusing,
        Connecting,
        Relaying,
        Closed,
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
        Rebalanced,
        EndpointDisabled,
        MaxConnectionAge,
    }

    /// <summary>Which sockets are readable or writable as far as the connection knows (edge-triggered readiness).</summary>
    [Flags]
    private enum Readiness : byte
    {
        None = 0,
        DownstreamReadable = 1,
        DownstreamWritable = 2,
        UpstreamReadable = 4,
        UpstreamWritable = 8,

        /// <summary>The client's FIN (or an error) is queued behind its data: a short read does not mean drained.</summary>
        DownstreamPeerClosed = 16,
        UpstreamPeerClosed = 32,
    }

    /// <summary>How one direction relays; kept per direction between rounds.</summary>
    [Flags]
    private enum RelayMode : byte
    {
        /// <summary>Through pooled buffers only.</summary>
        Copy = 0,

        /// <summary>splice(2) is on and has not been refused for this direction.</summary>
        CanSplice = 1,

        /// <summary>The direction streams (a read filled a whole buffer): reads splice until a round moves little.</summary>
        Stream = 2,
    }

    private enum FlushResult
    {
        Done,
        DestinationFull,
        Failed,
    }

    public long Id { get; }

    public DateTimeOffset StartTime { get; }

    /// <summary>When the connection was accepted (reactor clock, <see cref="ConnectionManager.NowMilliseconds"/>).</summary>
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

    public EndPoint? DownstreamRemoteEndPoint => _downstreamRemoteEndPoint ??= _peer.ToEndPoint();

    public ListenerRuntime Listener => _listener;

    /// <summary>The filter chain the connection was given; null while its listener filters run or when none matched.</summary>
    public FilterChainRuntime? Chain => Volatile.Read(ref _chain);

    /// <summary>True once the connection was closed and accounted for.</summary>
    public bool IsClosed => CurrentPhase == Phase.Closed;

    private Phase CurrentPhase
    {
        get => (Phase)Volatile.Read(ref _phase);
        set => Volatile.Write(ref _phase, (int)value);
    }

    // ---- Start and connect ----------------------------------------------------------------------------------------

    /// <summary>
    /// Runs on the accepting reactor right after accept: registers the client socket, picks a cluster and starts the
    /// first upstream connect. Never throws for a socket failure (the connection then ends).
    /// </summary>
    public void Start()
    {
        _downstreamToken = _reactor.Register(this, _downstreamFd, DownstreamSide, SocketEvents, out var errno);
        if (_downstreamToken == 0)
        {
            Log.ConnectionFailed(_context.Logger, Id, $"{_reactor.EventInterfaceName} registration: errno {errno}");
            Close();
            return;
        }

        Native.SetNoDelay(_downstreamFd);
        if (_listener.NeedsLocalAddress)
        {
            DownstreamLocalEndPoint = Native.LocalEndPoint(_downstreamFd);
        }

        if (_listener.ClientCap is { } cap)
        {
            var decision = cap.OnNewConnection(Facts());
            if (!decision.Admitted)
            {
                _terminationDetails = decision.TerminationDetails;
                Close();
                return;
            }

            _clientCounted = true;
        }

        if (_listener.InspectsTls)
        {
            // The socket was registered edge-triggered: bytes already there raise an event, and so does each segment
            // that arrives later, so the ClientHello is peeked at as it comes in (Inspect).
            CurrentPhase = Phase.Inspecting;
            _listener.ListenerStats.DownstreamPreCxActive.Increment();
            var timeout = _listener.Config.ListenerFiltersTimeout;
            _phaseDeadline = timeout > TimeSpan.Zero ? StartTimestamp + (long)Math.Min(timeout.TotalMilliseconds, long.MaxValue / 4) : long.MaxValue;
            ScheduleTimer();
            return;
        }

        // Without a listener filter nothing is known but the addresses: Envoy's default transport protocol.
        StartChain(null, RawBuffer, null);
    }

    private const string RawBuffer = "raw_buffer";

    private ConnectionFacts Facts() => new((DownstreamRemoteEndPoint as IPEndPoint)?.Address, DownstreamLocalEndPoint, _reactor.Now);

    /// <summary>
    /// Reads the client's first bytes with MSG_PEEK, so the upstream later gets them exactly as sent, until they hold a
    /// whole ClientHello (or show the connection is not TLS). A peek rents a pooled buffer and returns it at once: a
    /// client that sends nothing holds no buffer.
    /// </summary>
    private void Inspect()
    {
        var pool = _context.BufferPool;
        var buffer = pool.Rent(MaxClientHelloBytes);
        nint peeked;
        int errno;
        ClientHelloParseResult result = ClientHelloParseResult.NotTls;
        string? serverName = null;
        string[]? alpn = null;
        try
        {
            do
            {
                peeked = Native.Peek(_downstreamFd, buffer.AsSpan(0, MaxClientHelloBytes));
                errno = peeked < 0 ? Native.LastError : 0;
            }
            while (errno == Native.EINTR);

            if (peeked > 0)
            {
                result = TlsClientHello.TryParse(buffer.AsSpan(0, (int)peeked), _listener.Selector.UsesApplicationProtocols, out serverName, out alpn);
            }
        }
        finally
        {
            pool.Return(buffer);
        }

        var stats = _listener.ListenerStats;
        var tls = _listener.TlsInspectorStats;
        if (peeked < 0)
        {
            if (errno == Native.EAGAIN)
            {
                _ready &= ~Readiness.DownstreamReadable;
                return;
            }

            EndInspection();
            Abort(CloseReason.Reset);
            return;
        }

        if (peeked == 0 || (result == ClientHelloParseResult.NeedMoreData && (_ready & Readiness.DownstreamPeerClosed) != 0))
        {
            // The client closed before its ClientHello was complete: nothing to proxy (Envoy closes it too).
            stats.DownstreamListenerFilterRemoteClose.Increment();
            EndInspection();
            Close();
            return;
        }

        if (result == ClientHelloParseResult.NeedMoreData)
        {
            if (peeked >= MaxClientHelloBytes)
            {
                tls.ClientHelloTooLarge.Increment();
                stats.DownstreamListenerFilterError.Increment();
                EndInspection();
                Close();
                return;
            }

            // Everything there was peeked at; the next segment raises a new edge.
            _ready &= ~Readiness.DownstreamReadable;
            return;
        }

        EndInspection();
        _inspectClientHello = false;
        if (result == ClientHelloParseResult.Complete)
        {
            tls.TlsFound.Increment();
            (serverName is null ? tls.SniNotFound : tls.SniFound).Increment();
            (alpn is null ? tls.AlpnNotFound : tls.AlpnFound).Increment();
            Volatile.Write(ref _requestedServerName, serverName);
            StartChain(serverName, "tls", alpn);
        }
        else
        {
            tls.TlsNotFound.Increment();
            StartChain(null, RawBuffer, null);
        }
    }

    private void EndInspection()
    {
        if (CurrentPhase == Phase.Inspecting)
        {
            _listener.ListenerStats.DownstreamPreCxActive.Decrement();
            CurrentPhase = Phase.Setup;
        }
    }

    /// <summary>
    /// With what the listener filters found: picks the filter chain (none: flag NR, closed), runs its network filters
    /// (a refusal closes the connection, at once or after a delay), then picks the cluster and connects.
    /// </summary>
    private void StartChain(string? serverName, string transportProtocol, string[]? applicationProtocols)
    {
        var chain = _listener.Selector.Select(DownstreamLocalEndPoint?.Port ?? 0, serverName, transportProtocol, applicationProtocols);
        if (chain is null)
        {
            ResponseFlags |= ResponseFlags.NoFilterChainFound;
            _listener.ListenerStats.NoFilterChainMatch.Increment();
            Log.NoFilterChain(_context.Logger, Id, _listener.Config.Name, serverName ?? string.Empty, transportProtocol);
            Close();
            return;
        }

        Volatile.Write(ref _chain, chain);
        chain.TcpProxyStats.DownstreamCxTotal.Increment();
        if (chain.FlushOnStart)
        {
            WriteStartAccessLog();
        }

        var filters = chain.Filters;
        if (filters.Length > 0)
        {
            var facts = Facts();
            for (var i = 0; i < filters.Length; i++)
            {
                var decision = filters[i].OnNewConnection(facts);
                if (!decision.Admitted)
                {
                    _terminationDetails = decision.TerminationDetails;
                    if (decision.CloseDelayMs > 0)
                    {
                        CurrentPhase = Phase.Refusing;
                        _phaseDeadline = _reactor.Now + decision.CloseDelayMs;
                        ScheduleTimer();
                    }
                    else
                    {
                        Close();
                    }

                    return;
                }

                _filtersPassed = i + 1;
            }
        }

        if (!ResolveCluster(serverName, out _))
        {
            Close();
            return;
        }

        _maxAttempts = Math.Max(1, chain.TcpProxy.MaxConnectAttempts);
        ConnectNext();
    }

    private bool ResolveCluster(string? serverName, out ClusterState cluster)
    {
        var name = _chain!.PickClusterName(_context.Random, serverName);
        if (name is null || !_context.Clusters.TryGet(name, out cluster))
        {
            cluster = null!;
            ResponseFlags |= ResponseFlags.NoClusterFound;
            _chain.TcpProxyStats.DownstreamCxNoRoute.Increment();
            Log.NoCluster(_context.Logger, Id, _listener.Config.Name, name ?? "<none>");
            return false;
        }

        _cluster = cluster;
        return true;
    }

    /// <summary>
    /// Starts the next connect attempt, or ends the connection when attempts, the circuit breaker or the healthy
    /// hosts ran out. A connect that fails at once moves straight on to the next attempt.
    /// </summary>
    private void ConnectNext()
    {
        var cluster = _cluster!;
        var config = cluster.Config;
        var clusterStats = cluster.Stats;
        while (ConnectAttempts < _maxAttempts)
        {
            if (clusterStats.UpstreamCxActive.Value >= config.MaxConnections)
            {
                ResponseFlags |= ResponseFlags.UpstreamOverflow;
                clusterStats.UpstreamCxOverflow.Increment();
                Log.UpstreamOverflow(_context.Logger, Id, cluster.Name, config.MaxConnections);
                Close();
                return;
            }

            var host = PickHost(cluster, _tried, ConnectAttempts);
            if (host is null)
            {
                ResponseFlags |= ResponseFlags.NoHealthyUpstream;
                clusterStats.UpstreamCxNoneHealthy.Increment();
                Log.NoHealthyUpstream(_context.Logger, Id, cluster.Name);
                Close();
                return;
            }

            var fd = Native.CreateStreamSocket(host.EndPoint.AddressFamily);
            if (fd < 0)
            {
                // Out of descriptors or memory here, not a fault of the host: no attempt is counted against it.
                Log.ConnectionFailed(_context.Logger, Id, $"socket: errno {Native.LastError}");
                Close();
                return;
            }

            ConnectAttempts++;
            _host = host;
            _connectStart = _reactor.Now;
            _upstreamFd = fd;
            Native.SetNoDelay(fd);
            if (config.TcpKeepalive is { } keepalive)
            {
                Native.SetKeepalive(fd, keepalive.Time ?? 0, keepalive.Interval ?? 0, keepalive.Probes ?? 0);
            }

            host.OnConnectStarted();
            clusterStats.UpstreamCxTotal.Increment();
            clusterStats.UpstreamCxActive.Increment();
            clusterStats.UpstreamRqTotal.Increment();
            clusterStats.UpstreamRqActive.Increment();

            _upstreamToken = _reactor.Register(this, fd, UpstreamSide, SocketEvents, out var errno);
            if (_upstreamToken != 0)
            {
                var address = SocketAddressBuffer.From(host.EndPoint);
                errno = Native.Connect(fd, address);
                if (errno == 0 && Native.IsConnectedToItself(fd, address))
                {
                    errno = Native.ECONNREFUSED;
                }
            }

            if (errno == 0)
            {
                OnConnected();
                return;
            }

            if (errno is Native.EINPROGRESS or Native.EINTR)
            {
                CurrentPhase = Phase.Connecting;
                _connectDeadline = _connectStart + (long)config.ConnectTimeout.TotalMilliseconds;
                ScheduleTimer();
                return;
            }

            OnConnectFailed(errno, timedOut: false);
        }

        ResponseFlags |= ResponseFlags.UpstreamRetryLimitExceeded;
        clusterStats.UpstreamCxConnectAttemptsExceeded.Increment();
        Log.UpstreamConnectAttemptsExceeded(_context.Logger, Id, cluster.Name, _maxAttempts);
        Close();
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

    /// <summary>
    /// The upstream socket reported writable or failed while connecting: the connect is over one way or the other.
    /// Writable without an error or hang-up means connected, so only a failure costs the SO_ERROR read.
    /// </summary>
    /// <remarks>
    /// A socket connected to itself (<see cref="Native.IsConnectedToItself"/>: a local host whose port nothing listens
    /// on, in the ephemeral range) counts as refused, which it would have been had the kernel picked another source
    /// port: otherwise the client's ClientHello would come back to it as the "server's" answer.
    /// </remarks>
    private void OnConnectCompleted(bool failed)
    {
        var error = failed ? Native.SocketError(_upstreamFd) : 0;
        if (error == 0 && failed)
        {
            // Hung up without a pending error: refused or reset before we looked.
            error = Native.ECONNRESET;
        }
        else if (error == 0 && Native.IsConnectedToItself(_upstreamFd, SocketAddressBuffer.From(_host!.EndPoint)))
        {
            error = Native.ECONNREFUSED;
        }

        if (error == 0)
        {
            OnConnected();
            return;
        }

        OnConnectFailed(error, timedOut: false);
        ConnectNext();
    }

    private void OnConnected()
    {
        var cluster = _cluster!;
        CurrentPhase = Phase.Relaying;
        _relayStarted = true;
        _upstreamConnectedAt = _reactor.Now;
        cluster.Stats.UpstreamCxConnectMs.Record(_upstreamConnectedAt - _connectStart);
        cluster.Health?.OnConnectResult(_host!, UpstreamConnectResult.Success);
        _lastActivity = _upstreamConnectedAt;
        _ready |= Readiness.UpstreamWritable;
        _toUpstream.Mode = _toDownstream.Mode = _context.PipePool.IsEnabled ? RelayMode.CanSplice : RelayMode.Copy;
        _tried = null;
        OnUpstreamConnectedForAccessLog();
        ScheduleTimer();
        Pump();
    }

    private void OnConnectFailed(int errno, bool timedOut)
    {
        var cluster = _cluster!;
        var host = _host!;
        var clusterStats = cluster.Stats;
        CloseUpstreamSocket();
        CurrentPhase = Phase.Setup;

        ResponseFlags |= ResponseFlags.UpstreamConnectionFailure;
        UpstreamFailureReason = timedOut ? null : "delayed_connect_error:_" + FailureText(Native.ToSocketError(errno));
        clusterStats.UpstreamCxConnectFail.Increment();
        if (timedOut)
        {
            clusterStats.UpstreamCxConnectTimeout.Increment();
        }

        host.OnConnectFailed(timedOut);
        cluster.Health?.OnConnectResult(host, timedOut ? UpstreamConnectResult.Timeout : UpstreamConnectResult.Failed);
        clusterStats.UpstreamCxActive.Decrement();
        clusterStats.UpstreamRqActive.Decrement();
        Log.UpstreamConnectFailed(_context.Logger, Id, cluster.Name, host.AddressText, ConnectAttempts, _maxAttempts, timedOut ? "timeout" : Native.ToSocketError(errno).ToString());

        if (_maxAttempts > 1)
        {
            _tried ??= new EndpointState[_maxAttempts];
            _tried[ConnectAttempts - 1] = host;
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

    // ---- Reactor callbacks ----------------------------------------------------------------------------------------

    public void OnEvents(int side, uint events)
    {
        var phase = CurrentPhase;
        if (phase == Phase.Closed)
        {
            return;
        }

        if (side == DownstreamSide)
        {
            _ready |= ((events & ReadableEvents) != 0 ? Readiness.DownstreamReadable : 0)
                | ((events & WritableEvents) != 0 ? Readiness.DownstreamWritable : 0)
                | ((events & PeerClosedEvents) != 0 ? Readiness.DownstreamPeerClosed : 0);
            if (phase == Phase.Inspecting)
            {
                if ((_ready & Readiness.DownstreamReadable) != 0)
                {
                    Inspect();
                }

                return;
            }
        }
        else
        {
            _ready |= ((events & ReadableEvents) != 0 ? Readiness.UpstreamReadable : 0)
                | ((events & WritableEvents) != 0 ? Readiness.UpstreamWritable : 0)
                | ((events & PeerClosedEvents) != 0 ? Readiness.UpstreamPeerClosed : 0);
            if (phase == Phase.Connecting)
            {
                if ((events & WritableEvents) != 0)
                {
                    OnConnectCompleted(failed: (events & (Native.EPOLLERR | Native.EPOLLHUP)) != 0);
                }

                return;
            }
        }

        // Client bytes that arrive while the upstream connects wait in the socket until the relay starts.
        if (phase == Phase.Relaying)
        {
            Pump();
        }
    }

    /// <summary>Posted requests from other threads, and the continuation of a busy connection's relay.</summary>
    public void Execute()
    {
        _deferred = false;
        var requests = Interlocked.Exchange(ref _requests, 0);
        if ((requests & EndRequested) != 0)
        {
            Abort(_requestedReason);
            return;
        }

        if ((requests & FlushRequested) != 0 && CurrentPhase == Phase.Relaying)
        {
            FlushAccessLogIfDue(_reactor.Now);
        }

        if (CurrentPhase == Phase.Relaying)
        {
            Pump();
        }
    }

    /// <summary>The connect timeout, idle timeout or maximum duration is due (one timer, the earliest of them).</summary>
    public override void OnTimer(long now)
    {
        switch (CurrentPhase)
        {
            case Phase.Inspecting when now >= _phaseDeadline:
                _listener.ListenerStats.DownstreamPreCxTimeout.Increment();
                EndInspection();
                var timeoutMs = (long)_listener.Config.ListenerFiltersTimeout.TotalMilliseconds;
                if (_listener.Config.ContinueOnListenerFiltersTimeout)
                {
                    // Envoy goes on with what is known: no SNI, the default transport protocol.
                    Log.ListenerFiltersTimedOut(_context.Logger, Id, _listener.Config.Name, timeoutMs, "matching a filter chain without it");
                    _inspectClientHello = _listener.HasAccessLog;
                    StartChain(null, RawBuffer, null);
                }
                else
                {
                    Log.ListenerFiltersTimedOut(_context.Logger, Id, _listener.Config.Name, timeoutMs, "closing");
                    Close();
                }

                return;
            case Phase.Refusing when now >= _phaseDeadline:
                Close();
                return;
            case Phase.Connecting when now >= _connectDeadline:
                OnConnectFailed(Native.ETIMEDOUT, timedOut: true);
                ConnectNext();
                return;
            case Phase.Relaying:
                var tcpProxy = _chain!.TcpProxy;
                if (tcpProxy.MaxDownstreamConnectionDuration is { } maxDuration && now - StartTimestamp >= (long)maxDuration.TotalMilliseconds)
                {
                    ResponseFlags |= ResponseFlags.DurationTimeout;
                    _chain.TcpProxyStats.MaxDownstreamConnectionDuration.Increment();
                    Log.MaxDurationReached(_context.Logger, Id);
                    Abort(CloseReason.MaxDuration);
                    return;
                }

                var idle = tcpProxy.IdleTimeout;
                if (idle > TimeSpan.Zero && now - _lastActivity >= (long)idle.TotalMilliseconds)
                {
                    _chain.TcpProxyStats.IdleTimeout.Increment();
                    Log.IdleTimeout(_context.Logger, Id, idle.TotalSeconds);
                    Abort(CloseReason.IdleTimeout);
                    return;
                }

                break;
        }

        ScheduleTimer();
    }

    /// <summary>A callback threw (a bug): the reactor logged and counted it; the connection is reset rather than left hanging.</summary>
    public void OnFailed(Exception exception)
    {
        Log.ConnectionFailed(_context.Logger, Id, exception.Message);
        Abort(CloseReason.Reset);
    }

    /// <summary>
    /// Arms the connection's one timer at its earliest deadline: the connect timeout while connecting; the maximum
    /// duration or last activity + idle timeout while relaying. Activity does not move the timer: when it fires
    /// early, <see cref="OnTimer"/> finds the connection busy and arms it again from the last activity.
    /// </summary>
    private void ScheduleTimer()
    {
        var deadline = long.MaxValue;
        var phase = CurrentPhase;
        if (phase == Phase.Connecting)
        {
            deadline = _connectDeadline;
        }
        else if (phase is Phase.Inspecting or Phase.Refusing)
        {
            deadline = _phaseDeadline;
        }
        else if (phase == Phase.Relaying)
        {
            var tcpProxy = _chain!.TcpProxy;
            if (tcpProxy.MaxDownstreamConnectionDuration is { } maxDuration)
            {
                deadline = StartTimestamp + (long)Math.Min(maxDuration.TotalMilliseconds, long.MaxValue / 4);
            }

            if (tcpProxy.IdleTimeout > TimeSpan.Zero)
            {
                deadline = Math.Min(deadline, _lastActivity + (long)Math.Min(tcpProxy.IdleTimeout.TotalMilliseconds, long.MaxValue / 4));
            }
        }

        if (deadline == long.MaxValue)
        {
            _reactor.Timers.Cancel(this);
        }
        else
        {
            _reactor.Timers.Schedule(this, deadline);
        }
    }

    // ---- Relay ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// Moves what can be moved now in both directions, then closes the connection once both have ended. A connection
    /// still readable after <see cref="ReadsPerTurn"/> reads continues after the reactor's other work.
    /// </summary>
    private void Pump()
    {
        var budget = ReadsPerTurn;
        var more = PumpDirection(toUpstream: true, ref budget);
        more |= PumpDirection(toUpstream: false, ref budget);
        if (CurrentPhase != Phase.Relaying)
        {
            return;
        }

        if (_toUpstream.Ended && _toDownstream.Ended)
        {
            Close();
        }
        else if (more && !_deferred)
        {
            _deferred = true;
            _reactor.Defer(this);
        }
    }

    /// <summary>
    /// One direction: first what the destination still owes us room for, then the source's FIN, then reads while the
    /// source is readable. Returns true when it stopped only because the turn's read budget ran out.
    /// </summary>
    private bool PumpDirection(bool toUpstream, ref int budget)
    {
        ref var direction = ref toUpstream ? ref _toUpstream : ref _toDownstream;
        var sourceFd = toUpstream ? _downstreamFd : _upstreamFd;
        var destinationFd = toUpstream ? _upstreamFd : _downstreamFd;
        var sourceReadable = toUpstream ? Readiness.DownstreamReadable : Readiness.UpstreamReadable;
        var destinationWritable = toUpstream ? Readiness.UpstreamWritable : Readiness.DownstreamWritable;

        while (CurrentPhase == Phase.Relaying && !direction.Ended)
        {
            if (direction.HasPending)
            {
                if ((_ready & destinationWritable) == 0)
                {
                    return false;
                }

                var flushed = FlushPending(ref direction, destinationFd);
                if (flushed == FlushResult.DestinationFull)
                {
                    _ready &= ~destinationWritable;
                    return false;
                }

                if (flushed == FlushResult.Failed)
                {
                    Abort(CloseReason.Reset);
                    return false;
                }
            }

            if (direction.SourceEnded)
            {
                PassOnEnd(destinationFd, toUpstream, otherEnded: toUpstream ? _toDownstream.Ended : _toUpstream.Ended);
                direction.Ended = true;
                return false;
            }

            if ((_ready & sourceReadable) == 0)
            {
                return false;
            }

            if (budget == 0)
            {
                return true;
            }

            budget--;

            // The ClientHello of an access-logged connection must be seen in user space: copied until it was.
            var spliceable = (direction.Mode & RelayMode.CanSplice) != 0 && !(toUpstream && _inspectClientHello);
            if (spliceable && (direction.Mode & RelayMode.Stream) != 0)
            {
                SpliceRead(ref direction, sourceFd, destinationFd, toUpstream, sourceReadable, destinationWritable);
            }
            else
            {
                CopyRead(ref direction, sourceFd, destinationFd, toUpstream, spliceable, sourceReadable, destinationWritable);
            }
        }

        return false;
    }

    /// <summary>
    /// One read through a pooled buffer, sent on at once. A read that did not fill the buffer took everything the
    /// socket had, so the source counts as drained without a read that would only say EAGAIN (the next edge says when
    /// more came). A read that filled it makes the direction a stream, spliced from the next read on.
    /// </summary>
    /// <remarks>
    /// Messages are copied rather than spliced: both cost the same system calls, but splice(2) pays for pipe pages
    /// and two transfers of page references, more than copying 2 KB twice (measured with a 120 B request and a 1.7 KB
    /// response: 80 µs of proxy CPU per exchange spliced against 56 µs copied). For a bulk stream splicing wins by
    /// far (bench/results/splice-iperf3.md).
    /// </remarks>
    private void CopyRead(ref Direction direction, int sourceFd, int destinationFd, bool toUpstream, bool spliceable, Readiness sourceReadable, Readiness destinationWritable)
    {
        var pool = _context.BufferPool;
        var buffer = pool.Rent(BufferSize);
        nint received;
        int errno;
        do
        {
            received = Native.Receive(sourceFd, buffer.AsSpan(0, BufferSize));
            errno = received < 0 ? Native.LastError : 0;
        }
        while (errno == Native.EINTR);

        if (received <= 0)
        {
            pool.Return(buffer);
            if (received == 0)
            {
                direction.SourceEnded = true;
            }
            else if (errno == Native.EAGAIN)
            {
                _ready &= ~sourceReadable;
            }
            else
            {
                Abort(CloseReason.Reset);
            }

            return;
        }

        var count = (int)received;
        _lastActivity = _reactor.Now;
        Account(count, toUpstream);
        if (toUpstream && _inspectClientHello)
        {
            InspectClientHello(buffer.AsSpan(0, count));
        }

        if (count == BufferSize)
        {
            if (spliceable)
            {
                direction.Mode |= RelayMode.Stream;
            }
        }
        else if ((_ready & PeerClosed(sourceReadable)) == 0)
        {
            _ready &= ~sourceReadable;
        }

        direction.Buffer = buffer;
        direction.Offset = 0;
        direction.Count = count;
        var flushed = FlushPending(ref direction, destinationFd);
        if (flushed == FlushResult.DestinationFull)
        {
            _ready &= ~destinationWritable;
        }
        else if (flushed == FlushResult.Failed)
        {
            Abort(CloseReason.Reset);
        }
    }

    /// <summary>
    /// One splice(2) from the source into a pooled pipe and on to the destination, the bytes never entering user
    /// space. When the source is drained and the round since the last drain moved less than a buffer, the direction
    /// carries messages again and goes back to copying.
    /// </summary>
    private void SpliceRead(ref Direction direction, int sourceFd, int destinationFd, bool toUpstream, Readiness sourceReadable, Readiness destinationWritable)
    {
        var pipes = _context.PipePool;
        var pipe = pipes.Rent();
        if (pipe is null)
        {
            // Descriptor limit or splicing just switched off: this read copies through a buffer.
            CopyRead(ref direction, sourceFd, destinationFd, toUpstream, spliceable: false, sourceReadable, destinationWritable);
            return;
        }

        nint read;
        int errno;
        do
        {
            read = SpliceInterop.Splice(sourceFd, pipe.WriteFd, pipe.Capacity, SpliceInterop.SpliceMove | SpliceInterop.SpliceNonBlock);
            errno = read < 0 ? SpliceInterop.LastError : 0;
        }
        while (errno == Native.EINTR);

        if (read <= 0)
        {
            // The pipe is empty here (nothing was read into it), so it goes back to the pool.
            pipes.Return(pipe);
            if (read == 0)
            {
                direction.SourceEnded = true;
            }
            else if (errno == Native.EAGAIN)
            {
                _ready &= ~sourceReadable;
                if (direction.RoundBytes < BufferSize)
                {
                    direction.Mode &= ~RelayMode.Stream;
                }

                direction.RoundBytes = 0;
            }
            else if (Native.IsSpliceUnsupported(errno))
            {
                // This socket or kernel cannot splice; nothing was read, so buffers take over for good.
                direction.Mode = RelayMode.Copy;
            }
            else
            {
                Abort(CloseReason.Reset);
            }

            return;
        }

        _lastActivity = _reactor.Now;
        Account((int)read, toUpstream);
        direction.RoundBytes += read;
        pipe.Length = (int)read;
        direction.Pipe = pipe;
        var flushed = FlushPending(ref direction, destinationFd);
        if (flushed == FlushResult.DestinationFull)
        {
            // Backpressure: the bytes wait in the pipe (still rented) until the destination reports room.
            pipes.OnSpilled();
            _ready &= ~destinationWritable;
        }
        else if (flushed == FlushResult.Failed)
        {
            Abort(CloseReason.Reset);
        }
    }

    /// <summary>
    /// Writes what a direction read and could not send yet; once all is out the buffer or pipe goes back to its
    /// pool. On failure it stays with the direction and <see cref="Close"/> releases it (a pipe still holding bytes
    /// is closed, never pooled, so no stream's bytes leak into another).
    /// </summary>
    private FlushResult FlushPending(ref Direction direction, int destinationFd)
    {
        if (direction.Buffer is { } buffer)
        {
            while (direction.Count > 0)
            {
                var sent = Native.Send(destinationFd, buffer.AsSpan(direction.Offset, direction.Count));
                if (sent < 0)
                {
                    var errno = Native.LastError;
                    if (errno == Native.EINTR)
                    {
                        continue;
                    }

                    return errno == Native.EAGAIN ? FlushResult.DestinationFull : FlushResult.Failed;
                }

                direction.Offset += (int)sent;
                direction.Count -= (int)sent;
            }

            direction.Buffer = null;
            _context.BufferPool.Return(buffer);
            return FlushResult.Done;
        }

        if (direction.Pipe is { } pipe)
        {
            while (pipe.Length > 0)
            {
                var written = SpliceInterop.Splice(pipe.ReadFd, destinationFd, pipe.Length, SpliceInterop.SpliceMove | SpliceInterop.SpliceNonBlock);
                if (written > 0)
                {
                    pipe.Length -= (int)written;
                    continue;
                }

                var errno = written < 0 ? SpliceInterop.LastError : 0;
                if (errno == Native.EINTR)
                {
                    continue;
                }

                // Zero from a non-empty pipe, or a send error (EPIPE, ECONNRESET): the stream is broken.
                return errno == Native.EAGAIN ? FlushResult.DestinationFull : FlushResult.Failed;
            }

            direction.Pipe = null;
            _context.PipePool.Return(pipe);
        }

        return FlushResult.Done;
    }

    /// <summary>The peer-closed flag of the side whose readable flag is <paramref name="readable"/>.</summary>
    private static Readiness PeerClosed(Readiness readable) =>
        readable == Readiness.DownstreamReadable ? Readiness.DownstreamPeerClosed : Readiness.UpstreamPeerClosed;

    private void Account(int bytes, bool toUpstream)
    {
        var cluster = _cluster!.Stats;
        if (toUpstream)
        {
            Volatile.Write(ref _bytesReceived, _bytesReceived + bytes);
            _chain!.TcpProxyStats.DownstreamCxRxBytesTotal.Add(bytes);
            cluster.UpstreamCxTxBytesTotal.Add(bytes);
        }
        else
        {
            Volatile.Write(ref _bytesSent, _bytesSent + bytes);
            _chain!.TcpProxyStats.DownstreamCxTxBytesTotal.Add(bytes);
            cluster.UpstreamCxRxBytesTotal.Add(bytes);
        }
    }

    // ---- Half-close and close -------------------------------------------------------------------------------------

    /// <summary>The source sent FIN and all its bytes are out: FIN to the destination, the other direction goes on.</summary>
    private void PassOnEnd(int destinationFd, bool toUpstream, bool otherEnded)
    {
        if (!toUpstream && _closeReason == CloseReason.None)
        {
            _upstreamClosedFirst = true;
        }

        // The last direction to end needs no shutdown: both sockets close right after, which sends the FIN (and
        // both have read to EOF, so nothing unread turns the close into a reset). One system call less per connection.
        if (!otherEnded)
        {
            // Fails only when the destination is already gone (reset by its peer); the other direction sees that.
            _ = Native.Shutdown(destinationFd, Native.ShutWr);
        }
    }

    /// <summary>Closes both sides now (shutdown, drain deadline, host failure): a plain close, FIN where the kernel can. Any thread.</summary>
    public void CloseForShutdown() => RequestEnd(CloseReason.Shutdown);

    /// <summary>
    /// The shutdown drain's close at a "request boundary": when the connection relays and has moved no byte either
    /// way for <paramref name="quietMilliseconds"/>, closes it as an idle timeout does (FIN). TLS is not terminated,
    /// so quiet is the only sign that no request or response is in flight. True when this call closed it. Any thread.
    /// </summary>
    public bool TryCloseQuiet(long now, long quietMilliseconds)
    {
        if (!TryEndQuiet(now, quietMilliseconds, CloseReason.Drained, out var quiet))
        {
            return false;
        }

        Log.DrainClosed(_context.Logger, Id, quiet);
        return true;
    }

    /// <summary>
    /// kubegate's gentle close (rebalancing, a disabled endpoint, <c>max_connection_age</c>): as
    /// <see cref="TryCloseQuiet"/>, FIN at a quiet moment, with its own termination details and the <c>RBL</c>
    /// response flag. True when this call closed it. Any thread.
    /// </summary>
    public bool TryCloseGently(long now, long quietMilliseconds, GentleClose kind) =>
        TryEndQuiet(
            now,
            quietMilliseconds,
            kind switch
            {
                GentleClose.EndpointDisabled => CloseReason.EndpointDisabled,
                GentleClose.MaxConnectionAge => CloseReason.MaxConnectionAge,
                _ => CloseReason.Rebalanced,
            },
            out _);

    /// <summary>Ends the connection for <paramref name="reason"/> if it relays and has been quiet long enough.</summary>
    private bool TryEndQuiet(long now, long quietMilliseconds, CloseReason reason, out long quiet)
    {
        quiet = now - Volatile.Read(ref _lastActivity);
        return CurrentPhase == Phase.Relaying && quiet >= quietMilliseconds && RequestEnd(reason);
    }

    /// <summary>True while the connection relays bytes (connected upstream, not ending).</summary>
    public bool IsRelaying => CurrentPhase == Phase.Relaying && Volatile.Read(ref _endDecided) == 0;

    /// <summary>
    /// Called about once a second by <see cref="ConnectionManager"/> from its own thread: asks the reactor for the
    /// periodic access-log entry when one is due (timeouts are the reactor's own timers).
    /// </summary>
    public void OnHeartbeat(long now)
    {
        var interval = Volatile.Read(ref _chain)?.AccessLogFlushIntervalMs ?? 0;
        if (interval > 0 && now - Volatile.Read(ref _lastAccessLogFlush) >= interval && CurrentPhase == Phase.Relaying)
        {
            Request(FlushRequested);
        }
    }

    /// <summary>Asks the reactor to end the connection for <paramref name="reason"/>; false when an end was already decided.</summary>
    private bool RequestEnd(CloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _endDecided, 1, 0) != 0)
        {
            return false;
        }

        _requestedReason = reason;
        Request(EndRequested);
        return true;
    }

    private void Request(int request)
    {
        if (Interlocked.Or(ref _requests, request) == 0)
        {
            _reactor.Post(this);
        }
    }

    /// <summary>
    /// Ends the connection now, on the reactor thread. A reset closes with SO_LINGER 0, so the peers see RST rather
    /// than a clean end; any other reason shuts both sockets down first, so they see FIN.
    /// </summary>
    private void Abort(CloseReason reason)
    {
        if (CurrentPhase == Phase.Closed)
        {
            return;
        }

        Volatile.Write(ref _endDecided, 1);
        if (_closeReason == CloseReason.None)
        {
            _closeReason = reason;
        }

        if (reason is CloseReason.Rebalanced or CloseReason.EndpointDisabled or CloseReason.MaxConnectionAge)
        {
            ResponseFlags |= ResponseFlags.Rebalanced;
        }

        if (reason == CloseReason.Reset)
        {
            Native.SetLingerZero(_downstreamFd);
            if (_upstreamFd >= 0)
            {
                Native.SetLingerZero(_upstreamFd);
            }
        }
        else
        {
            _ = Native.Shutdown(_downstreamFd, Native.ShutRdWr);
            if (_upstreamFd >= 0)
            {
                _ = Native.Shutdown(_upstreamFd, Native.ShutRdWr);
            }
        }

        Close();
    }

    /// <summary>Releases everything and updates the stats, exactly once, on the reactor thread.</summary>
    private void Close()
    {
        if (CurrentPhase == Phase.Closed)
        {
            return;
        }

        var hadUpstream = _upstreamFd >= 0 && _relayStarted;
        EndInspection();
        CurrentPhase = Phase.Closed;
        Volatile.Write(ref _endDecided, 1);
        if (_closeReason == CloseReason.None)
        {
            _closeReason = CloseReason.Normal;
        }

        _reactor.Timers.Cancel(this);
        _reactor.Close(_downstreamToken, _downstreamFd);
        if (_upstreamFd >= 0 && !hadUpstream)
        {
            // Closed while connecting (shutdown, drain): the attempt's gauges go back as a failed connect's do, but
            // the host is not blamed for it (no health or outlier result).
            var stats = _cluster!.Stats;
            stats.UpstreamCxActive.Decrement();
            stats.UpstreamRqActive.Decrement();
            _host?.OnConnectFailed(timedOut: false);
        }

        CloseUpstreamSocket();
        ReleasePending(ref _toUpstream);
        ReleasePending(ref _toDownstream);
        ReleaseFilters();

        var listenerStats = _listener.ListenerStats;
        listenerStats.DownstreamCxActive.Decrement();
        listenerStats.DownstreamCxDestroy.Increment();
        var closedAt = _reactor.Now;
        listenerStats.DownstreamCxLengthMs.Record(closedAt - StartTimestamp);

        if (hadUpstream && _cluster is not null && _host is not null)
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

    /// <summary>Tells the filters that admitted the connection (connection_limit, the per-client cap) that it is gone.</summary>
    private void ReleaseFilters()
    {
        if (_filtersPassed == 0 && !_clientCounted)
        {
            return;
        }

        var source = (DownstreamRemoteEndPoint as IPEndPoint)?.Address;
        var filters = _chain?.Filters ?? [];
        for (var i = 0; i < _filtersPassed; i++)
        {
            filters[i].OnConnectionClosed(source);
        }

        _filtersPassed = 0;
        if (_clientCounted)
        {
            _clientCounted = false;
            _listener.ClientCap?.OnConnectionClosed(source);
        }
    }

    private void CloseUpstreamSocket()
    {
        if (_upstreamFd < 0)
        {
            return;
        }

        _reactor.Close(_upstreamToken, _upstreamFd);
        _upstreamToken = 0;
        _upstreamFd = -1;
        _ready &= ~(Readiness.UpstreamReadable | Readiness.UpstreamWritable | Readiness.UpstreamPeerClosed);
    }

    private void ReleasePending(ref Direction direction)
    {
        if (direction.Buffer is { } buffer)
        {
            direction.Buffer = null;
            _context.BufferPool.Return(buffer);
        }

        if (direction.Pipe is { } pipe)
        {
            direction.Pipe = null;
            _context.PipePool.Return(pipe);
        }
    }

    /// <summary>The state of one direction of the relay.</summary>
    private struct Direction
    {
        public RelayMode Mode;

        /// <summary>The source sent FIN: once what is pending went out, the destination gets FIN.</summary>
        public bool SourceEnded;

        /// <summary>FIN passed on; the direction does nothing more.</summary>
        public bool Ended;

        /// <summary>Bytes read and not yet written (backpressure): <see cref="Count"/> bytes from <see cref="Offset"/>.</summary>
        public byte[]? Buffer;
        public int Offset;
        public int Count;

        /// <summary>Spliced bytes not yet written (backpressure).</summary>
        public SplicePipe? Pipe;

        /// <summary>Bytes spliced since the source was last drained.</summary>
        public long RoundBytes;

        public readonly bool HasPending => Buffer is not null || Pipe is not null;
    }
}
