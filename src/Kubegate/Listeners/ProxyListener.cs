using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.Proxy;
using Kubegate.Proxy.Filters;
using Kubegate.Proxy.Reactors;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Listeners;

/// <summary>
/// One listening socket for one Envoy listener. Every reactor accepts on it (<see cref="ListenerAcceptor"/>) and runs
/// the connections it accepts; each accepted connection reads the listener's current <see cref="ListenerRuntime"/>
/// once.
/// </summary>
internal sealed partial class ProxyListener : IAsyncDisposable, IAcceptHandler
{
    // Used when tcp_backlog_size is unset; the kernel caps it at net.core.somaxconn. Envoy's default (128) drops
    // SYNs under a reconnect storm of a few hundred kubectl clients after an apiserver restart.
    internal const int DefaultBacklog = 4096;

    private readonly StatsStore _stats;
    private readonly ProxyContext _context;
    private readonly ILogger _logger;
    private readonly Counter _acceptPaused;

    // Open connections per client address (max_connections_per_client): kept across in-place updates.
    private readonly ClientConnectionTable _clients = new();
    private volatile ListenerRuntime _runtime;

    // Every runtime this listener has handed to connections (the first and one per in-place update), so a drain can
    // find this listener's connections by reference: a listener of the same name added later is not this one.
    private volatile HashSet<ListenerRuntime> _runtimes;
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    private Socket[]? _sockets;
    private ListenerAcceptor[]? _acceptors;

    public ProxyListener(ListenerConfig config, StatsStore stats, ProxyContext context, ILogger logger)
    {
        _stats = stats;
        _context = context;
        _logger = logger;
        _runtime = new ListenerRuntime(config, stats, context.AccessLogs, previous: null, _clients, logger);
        _runtimes = new HashSet<ListenerRuntime>(ReferenceEqualityComparer.Instance) { _runtime };
        _acceptPaused = stats.Counter("server.accept_paused");
    }

    public string Name => _runtime.Config.Name;

    public ListenerConfig Config => _runtime.Config;

    public ListenerRuntime Runtime => _runtime;

    /// <summary>The bound address (with the real port when the config asked for port 0); null before <see cref="Start"/>.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public bool IsListening => _sockets is not null;

    /// <summary>Binds and starts accepting on every reactor. Throws <see cref="SocketException"/> when the address cannot be bound.</summary>
    public void Start()
    {
        var config = _runtime.Config;
        var reactors = _context.Reactors;
        var perReactor = reactors.SocketPerReactor;
        var sockets = new Socket[perReactor ? reactors.Count : 1];
        try
        {
            // With a socket per reactor, the first binds (port 0 picks the port) and the others join it.
            var endPoint = config.Address.ToEndPoint();
            for (var i = 0; i < sockets.Length; i++)
            {
                sockets[i] = Bind(endPoint, config.TcpBacklogSize ?? DefaultBacklog, perReactor);
                endPoint = (IPEndPoint)sockets[0].LocalEndPoint!;
            }
        }
        catch
        {
            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }

            throw;
        }

        _sockets = sockets;
        LocalEndPoint = (IPEndPoint)sockets[0].LocalEndPoint!;
        _acceptors = reactors.StartAccepting([.. sockets.Select(s => (int)s.SafeHandle.DangerousGetHandle())], this);
    }

    private static Socket Bind(IPEndPoint endPoint, int backlog, bool reusePort)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR lets a restarted kubegate bind while old connections sit in TIME_WAIT, as Envoy does.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (reusePort)
            {
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // Envoy's default (ipv4_compat: false): a [::] listener takes IPv6 only.
                socket.DualMode = false;
            }

            socket.Bind(endPoint);
            socket.Listen(backlog);

            // The reactors accept with non-blocking accept4; .NET never touches this socket again until it closes it.
            socket.Blocking = false;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Applies a changed config that keeps the address: new connections use it, open ones keep theirs.</summary>
    /// <remarks>
    /// The socket stays bound and listening throughout, so no connection attempt is refused during the swap.
    /// REVIEW: a changed <c>tcp_backlog_size</c> takes effect only on a rebind; Linux would accept listen() again.
    /// </remarks>
    /// <returns>The filter chains the update removed or changed: their open connections are to drain (Envoy drains them; the others stay untouched).</returns>
    public IReadOnlyList<FilterChainRuntime> Update(ListenerConfig config)
    {
        var previous = _runtime;
        var runtime = new ListenerRuntime(config, _stats, _context.AccessLogs, previous, _clients, _logger);
        _runtimes = new HashSet<ListenerRuntime>(_runtimes, ReferenceEqualityComparer.Instance) { runtime };
        _runtime = runtime;
        return [.. previous.Chains.Where(c => !runtime.Chains.Contains(c))];
    }

    /// <summary>Open connections of <paramref name="client"/> on this listener, as the per-client cap counts them.</summary>
    public int OpenConnectionsOf(IPAddress client) => _clients.OpenFor(client);

    /// <summary>Takes over the open connections of a listener this one replaces on the same address (a failed rebind undone).</summary>
    public void AdoptConnectionsOf(ProxyListener other) =>
        _runtimes = new HashSet<ListenerRuntime>(_runtimes.Concat(other._runtimes), ReferenceEqualityComparer.Instance);

    /// <summary>True when the connection was accepted by this listener (under any of its configs).</summary>
    public bool Owns(ProxyConnection connection) => _runtimes.Contains(connection.Listener);

    /// <summary>
    /// Stops accepting: every reactor lets go of the socket first, then it closes. Open connections are not touched
    /// (drain is the connection manager's job).
    /// </summary>
    public async Task StopAsync()
    {
        var sockets = Interlocked.Exchange(ref _sockets, null);
        if (sockets is null)
        {
            return;
        }

        if (Interlocked.Exchange(ref _acceptors, null) is { } acceptors)
        {
            await ReactorGroup.StopAcceptingAsync(acceptors).ConfigureAwait(false);
        }

        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        Log.ListenerStopped(_logger, Name, LocalEndPoint?.ToString() ?? string.Empty);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>On the accepting reactor's thread: the connection starts there and stays there.</summary>
    void IAcceptHandler.OnAccepted(Reactor reactor, int fd, in SocketAddressBuffer peer)
    {
        var runtime = _runtime;
        runtime.ListenerStats.DownstreamCxTotal.Increment();
        runtime.ListenerStats.DownstreamCxActive.Increment();
        var connection = new ProxyConnection(_context.Connections.NextId(), fd, peer, runtime, _context, reactor);
        _context.Connections.Add(connection);
        connection.Start();
    }

    void IAcceptHandler.OnAcceptFailed(int errno, bool backingOff, DescriptorBudget? reserveReached)
    {
        if (backingOff)
        {
            _acceptPaused.Increment();
        }

        // Told once per stretch of back-offs: the acceptor retries every 100 ms meanwhile, and keeps serving after.
        var message = reserveReached is { } budget
            ? $"descriptor reserve reached: {budget.DataPath} held by connections, {budget.Others} by the rest of the process, limit {budget.Limit}, {DescriptorBudget.Reserve} kept free for admin, health checks and logs; accepting again in 100 ms"
            : $"errno {errno}{(backingOff ? "; accepting again in 100 ms" : string.Empty)}";
        Log.AcceptFailed(_logger, Name, Native.ToSocketError(errno).ToString(), message);
    }
}
