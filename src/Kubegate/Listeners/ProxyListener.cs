using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.Proxy;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Listeners;

/// <summary>
/// One listening socket for one Envoy listener, with its accept loop. Each accepted connection reads the listener's
/// current <see cref="ListenerRuntime"/> once and is handed to the thread pool, so the loop only accepts.
/// </summary>
internal sealed partial class ProxyListener : IAsyncDisposable
{
    // Used when tcp_backlog_size is unset; the kernel caps it at net.core.somaxconn. Envoy's default (128) drops
    // SYNs under a reconnect storm of a few hundred kubectl clients after an apiserver restart.
    internal const int DefaultBacklog = 4096;

    private static readonly TimeSpan AcceptErrorBackoff = TimeSpan.FromMilliseconds(100);

    private readonly StatsStore _stats;
    private readonly ProxyContext _context;
    private readonly ILogger _logger;
    private volatile ListenerRuntime _runtime;

    // Every runtime this listener has handed to connections (the first and one per in-place update), so a drain can
    // find this listener's connections by reference: a listener of the same name added later is not this one.
    private volatile HashSet<ListenerRuntime> _runtimes;
    private Socket? _socket;
    private Task? _acceptLoop;

    public ProxyListener(ListenerConfig config, StatsStore stats, ProxyContext context, ILogger logger)
    {
        _stats = stats;
        _context = context;
        _logger = logger;
        _runtime = new ListenerRuntime(config, stats, context.AccessLogs);
        _runtimes = new HashSet<ListenerRuntime>(ReferenceEqualityComparer.Instance) { _runtime };
    }

    public string Name => _runtime.Config.Name;

    public ListenerConfig Config => _runtime.Config;

    public ListenerRuntime Runtime => _runtime;

    /// <summary>The bound address (with the real port when the config asked for port 0); null before <see cref="Start"/>.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public bool IsListening => _socket is not null;

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> when the address cannot be bound.</summary>
    public void Start()
    {
        var config = _runtime.Config;
        var endPoint = config.Address.ToEndPoint();
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR lets a restarted kubegate bind while old connections sit in TIME_WAIT, as Envoy does.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // Envoy's default (ipv4_compat: false): a [::] listener takes IPv6 only.
                socket.DualMode = false;
            }

            socket.Bind(endPoint);
            socket.Listen(config.TcpBacklogSize ?? DefaultBacklog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(socket);
    }

    /// <summary>Applies a changed config that keeps the address: new connections use it, open ones keep theirs.</summary>
    /// <remarks>
    /// The socket stays bound and listening throughout, so no connection attempt is refused during the swap.
    /// REVIEW: a changed <c>tcp_backlog_size</c> takes effect only on a rebind; Linux would accept listen() again.
    /// </remarks>
    public void Update(ListenerConfig config)
    {
        var runtime = new ListenerRuntime(config, _stats, _context.AccessLogs);
        _runtimes = new HashSet<ListenerRuntime>(_runtimes, ReferenceEqualityComparer.Instance) { runtime };
        _runtime = runtime;
    }

    /// <summary>Takes over the open connections of a listener this one replaces on the same address (a failed rebind undone).</summary>
    public void AdoptConnectionsOf(ProxyListener other) =>
        _runtimes = new HashSet<ListenerRuntime>(_runtimes.Concat(other._runtimes), ReferenceEqualityComparer.Instance);

    /// <summary>True when the connection was accepted by this listener (under any of its configs).</summary>
    public bool Owns(ProxyConnection connection) => _runtimes.Contains(connection.Listener);

    /// <summary>Stops accepting. Open connections are not touched (drain is the connection manager's job).</summary>
    public async Task StopAsync()
    {
        var socket = Interlocked.Exchange(ref _socket, null);
        if (socket is null)
        {
            return;
        }

        socket.Dispose();
        if (_acceptLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }

        Log.ListenerStopped(_logger, Name, LocalEndPoint?.ToString() ?? string.Empty);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task AcceptLoopAsync(Socket listenSocket)
    {
        // Leave the caller's (start-up) context: the loop runs on the pool from its first await on.
        await Task.Yield();
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await listenSocket.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Typically EMFILE/ENFILE: back off briefly instead of spinning, then keep serving.
                Log.AcceptFailed(_logger, Name, ex.SocketErrorCode.ToString(), ex.Message);
                await Task.Delay(AcceptErrorBackoff, _context.Time).ConfigureAwait(false);
                continue;
            }

            OnAccepted(accepted);
        }
    }

    private void OnAccepted(Socket accepted)
    {
        var runtime = _runtime;
        runtime.ListenerStats.DownstreamCxTotal.Increment();
        runtime.ListenerStats.DownstreamCxActive.Increment();

        // Non-blocking from the process's view: the copy loop's synchronous reads and writes then return
        // WouldBlock instead of waiting, and waiting is done with zero-byte asynchronous receives.
        accepted.Blocking = false;
        var connection = new ProxyConnection(_context.Connections.NextId(), accepted, runtime, _context);
        _context.Connections.Add(connection);

        // Started here rather than queued: it runs only until the upstream connect is in flight (a pick and a
        // non-blocking connect), and a hand-off per connection would wake a pool thread that then spins for work.
        _ = connection.RunAsync();
    }
}
