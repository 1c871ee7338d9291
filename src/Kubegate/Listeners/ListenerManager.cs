using System.Collections.Immutable;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.Infrastructure;
using Kubegate.Proxy;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Listeners;

/// <summary>
/// The set of running listeners, made equal to a snapshot's: removed ones stop accepting and their connections
/// drain, changed ones with the same address keep their socket, others are (re)bound. One failed bind never stops
/// the rest.
/// </summary>
/// <remarks>
/// Applies run one at a time under one <see cref="SemaphoreSlim"/> (Kestrel's <c>RebindAsync</c>). A listener that
/// could not be bound is remembered and bound again at the next apply, so a port freed later is picked up without a
/// config change.
/// </remarks>
internal sealed partial class ListenerManager : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly StatsStore _stats;
    private readonly ProxyContext _context;
    private readonly ILogger _logger;
    private readonly TimeSpan _drainTime;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Counter _listenerAdded;
    private readonly Counter _listenerModified;
    private readonly Counter _listenerRemoved;
    private readonly Counter _createSuccess;
    private readonly Counter _createFailure;
    private readonly Gauge _totalActive;
    private readonly Gauge _totalDraining;
    private readonly Gauge _totalFilterChainsDraining;
    private readonly List<Task> _drains = [];
    private volatile IReadOnlyList<ProxyListener> _listeners = [];
    private ImmutableDictionary<string, ListenerConfig> _failed = ImmutableDictionary<string, ListenerConfig>.Empty;

    /// <summary>Envoy's <c>--drain-time-s</c> default: how long open connections get at shutdown.</summary>
    public static readonly TimeSpan DefaultDrainTime = TimeSpan.FromSeconds(600);

    /// <param name="stats">The process stats.</param>
    /// <param name="context">What accepted connections need.</param>
    /// <param name="logger">Where listener events go.</param>
    /// <param name="drainTime">
    /// How long the connections of a removed listener may go on before they are closed (<c>--drain-time-s</c>); null
    /// means <see cref="DefaultDrainTime"/> (600 s).
    /// </param>
    public ListenerManager(StatsStore stats, ProxyContext context, ILogger logger, TimeSpan? drainTime = null)
    {
        _stats = stats;
        _context = context;
        _logger = logger;
        _drainTime = drainTime ?? DefaultDrainTime;
        _listenerAdded = stats.Counter("listener_manager.listener_added");
        _listenerModified = stats.Counter("listener_manager.listener_modified");
        _listenerRemoved = stats.Counter("listener_manager.listener_removed");
        _createSuccess = stats.Counter("listener_manager.listener_create_success");
        _createFailure = stats.Counter("listener_manager.listener_create_failure");
        _totalActive = stats.Gauge("listener_manager.total_listeners_active");
        _totalDraining = stats.Gauge("listener_manager.total_listeners_draining");
        _totalFilterChainsDraining = stats.Gauge("listener_manager.total_filter_chains_draining");
    }

    public IReadOnlyList<ProxyListener> Listeners => _listeners;

    /// <summary>True while some listener of the last applied snapshot is not bound (it is retried at the next apply).</summary>
    public bool HasFailedListeners => !Volatile.Read(ref _failed).IsEmpty;

    public ProxyListener? Find(string name) => _listeners.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.Ordinal));

    /// <summary>Applies the snapshot's listeners; returns the listeners that could not be bound.</summary>
    public async Task<IReadOnlyList<ListenerBindFailure>> ApplyAsync(ConfigSnapshot snapshot)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var failed = new List<ListenerBindFailure>();
            var stillFailed = ImmutableDictionary.CreateBuilder<string, ListenerConfig>(StringComparer.Ordinal);
            var current = _listeners.ToDictionary(l => l.Name, StringComparer.Ordinal);
            var previouslyFailed = _failed;
            var next = new List<ProxyListener>();
            foreach (var config in snapshot.Listeners)
            {
                ProxyListener? replaced = null;
                if (current.Remove(config.Name, out var existing))
                {
                    if (existing.Config == config)
                    {
                        next.Add(existing);
                        continue;
                    }

                    _listenerModified.Increment();
                    if (existing.Config.Address == config.Address && existing.IsListening)
                    {
                        var dropped = existing.Update(config);
                        Log.ListenerUpdated(_logger, config.Name, existing.LocalEndPoint?.ToString() ?? config.Address.ToString());
                        if (dropped.Count > 0)
                        {
                            StartChainDrain(existing, dropped);
                        }

                        next.Add(existing);
                        continue;
                    }

                    replaced = existing;
                }
                else if (previouslyFailed.TryGetValue(config.Name, out var before))
                {
                    // A retry of a listener that could not be bound: counted as added when it first appeared.
                    if (before != config)
                    {
                        _listenerModified.Increment();
                    }
                }
                else
                {
                    _listenerAdded.Increment();
                }

                var (listener, failure) = await StartAsync(config, replaced).ConfigureAwait(false);
                if (listener is not null)
                {
                    next.Add(listener);
                }

                if (failure is not null)
                {
                    failed.Add(failure);
                    stillFailed[config.Name] = config;
                }
            }

            foreach (var removed in current.Values)
            {
                _listenerRemoved.Increment();
                await removed.StopAsync().ConfigureAwait(false);
                StartDrain(removed, "removed");
            }

            foreach (var name in previouslyFailed.Keys.Where(n => !snapshot.Listeners.Any(l => string.Equals(l.Name, n, StringComparison.Ordinal))))
            {
                // Removed before it ever bound: nothing to stop or drain, but it was counted as added.
                _listenerRemoved.Increment();
            }

            _listeners = next;
            Volatile.Write(ref _failed, stillFailed.ToImmutable());
            _totalActive.Set(next.Count);
            return failed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops every listener from accepting (first step of shutdown); listener drains in progress end with it.</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var listener in _listeners)
            {
                await listener.StopAsync().ConfigureAwait(false);
            }

            _totalActive.Set(0);

            // Shutdown drains every connection itself (KubegateServer.StopAsync), with the same deadline.
            await _stopping.CancelAsync().ConfigureAwait(false);
            Task[] drains;
            lock (_drains)
            {
                drains = [.. _drains];
            }

            await Task.WhenAll(drains).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// <c>POST /drain_listeners</c>: stops every listener from accepting, at once or (<paramref name="graceful"/>) after
    /// the drain time, during which they go on accepting. Open connections are left alone. Shutdown cancels a pending
    /// graceful stop (it stops the listeners itself).
    /// </summary>
    public Task DrainListenersAsync(bool graceful)
    {
        if (!graceful)
        {
            return StopAcceptingAsync();
        }

        _ = StopLaterAsync();
        return Task.CompletedTask;

        async Task StopLaterAsync()
        {
            try
            {
                await Task.Delay(_drainTime, _context.Time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await StopAcceptingAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _gate.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// Binds a new listener. When it replaces one whose address changed, the new socket is bound first, so a failed
    /// bind leaves the old listener serving; only when the old socket holds the port (0.0.0.0:6443 → 127.0.0.1:6443)
    /// is it closed first, and put back if the new bind still fails.
    /// </summary>
    private async Task<(ProxyListener? Listener, ListenerBindFailure? Failure)> StartAsync(ListenerConfig config, ProxyListener? replaced)
    {
        var listener = new ProxyListener(config, _stats, _context, _logger);
        var error = TryStart(listener);
        if (error is not null && replaced is not null && error.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            await replaced.StopAsync().ConfigureAwait(false);
            listener = new ProxyListener(config, _stats, _context, _logger);
            error = TryStart(listener);
            if (error is not null)
            {
                var restored = new ProxyListener(replaced.Config, _stats, _context, _logger);
                if (TryStart(restored) is null)
                {
                    // Serving the old address again: its open connections belong to the restored listener.
                    restored.AdoptConnectionsOf(replaced);
                    Log.ListenerRestored(_logger, replaced.Name, restored.LocalEndPoint!.ToString());
                    _createFailure.Increment();
                    Log.BindFailed(_logger, config.Name, config.Address.ToString(), error.Message);
                    return (restored, new ListenerBindFailure(config.Name, config.Address.ToString(), error.Message));
                }

                StartDrain(replaced, "moved to " + config.Address);
                replaced = null;
            }
        }

        if (error is not null)
        {
            _createFailure.Increment();
            Log.BindFailed(_logger, config.Name, config.Address.ToString(), error.Message);
            return (replaced, new ListenerBindFailure(config.Name, config.Address.ToString(), error.Message));
        }

        _createSuccess.Increment();
        var clusters = config.AllFilterChains.Select(c => c.SniCluster ? "<sni>" : c.TcpProxy.Cluster ?? "<weighted>").Distinct(StringComparer.Ordinal);
        Log.ListenerStarted(_logger, config.Name, listener.LocalEndPoint!.ToString(), string.Join(", ", clusters));
        if (replaced is not null)
        {
            // As in Envoy, a listener replaced by one on another address drains: its connections go on for the drain
            // time and are then closed. A change that keeps the address keeps the socket and drains nothing.
            await replaced.StopAsync().ConfigureAwait(false);
            StartDrain(replaced, "moved to " + config.Address);
        }

        return (listener, null);
    }

    private async Task StopAcceptingAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var listener in _listeners)
            {
                await listener.StopAsync().ConfigureAwait(false);
            }

            _totalActive.Set(0);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static SocketException? TryStart(ProxyListener listener)
    {
        try
        {
            listener.Start();
            return null;
        }
        catch (SocketException ex)
        {
            return ex;
        }
    }

    /// <summary>
    /// Envoy's in-place filter-chain update: the connections of the chains a listener update removed or changed get
    /// the drain time, then close; the connections of unchanged chains are not touched.
    /// </summary>
    private void StartChainDrain(ProxyListener listener, IReadOnlyList<FilterChainRuntime> dropped)
    {
        // A connection still in its listener filters (no chain yet) may pick a dropped chain from the config it was
        // accepted under, so it joins the drain too; the drain checks again when its time is over and closes only
        // the connections that did land on a dropped chain.
        var chains = new HashSet<FilterChainRuntime>(dropped, ReferenceEqualityComparer.Instance);
        bool Owns(ProxyConnection connection) => (connection.Chain is not { } chain || chains.Contains(chain)) && listener.Owns(connection);
        var open = _context.Connections.Connections.Count(Owns);
        Log.FilterChainsDraining(_logger, listener.Name, string.Join(", ", dropped.Select(c => c.DisplayName)), open, _drainTime.TotalSeconds);
        if (open > 0)
        {
            TrackDrain(listener.Name, Owns, _totalFilterChainsDraining);
        }
    }

    /// <summary>Lets a stopped listener's connections go on for the drain time, then closes those still open.</summary>
    private void StartDrain(ProxyListener stopped, string why)
    {
        var open = _context.Connections.Connections.Count(stopped.Owns);
        Log.ListenerDraining(_logger, stopped.Name, stopped.LocalEndPoint?.ToString() ?? stopped.Config.Address.ToString(), why, open, _drainTime.TotalSeconds);
        if (open == 0)
        {
            return;
        }

        TrackDrain(stopped.Name, stopped.Owns, _totalDraining);
    }

    private void TrackDrain(string listenerName, Func<ProxyConnection, bool> owns, Gauge draining)
    {

        draining.Increment();
        var drain = DrainAsync();
        lock (_drains)
        {
            _drains.Add(drain);
        }

        _ = drain.ContinueWith(
            static (task, state) =>
            {
                var drains = (List<Task>)state!;
                lock (drains)
                {
                    drains.Remove(task);
                }
            },
            _drains,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        async Task DrainAsync()
        {
            // Off the apply path: the wait takes up to the drain time.
            await Task.Yield();
            try
            {
                var closed = await _context.Connections.DrainAsync(owns, _drainTime, _stopping.Token).ConfigureAwait(false);
                if (closed > 0)
                {
                    Log.ListenerDrainClosed(_logger, listenerName, closed);
                }
            }
            catch (OperationCanceledException)
            {
                // Shutting down: the server's drain takes these connections over.
            }
            finally
            {
                draining.Decrement();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.ListenerStarted, LogLevel.Information, "listener {Listener} accepting on {Address} -> cluster {Cluster}", EventName = "ListenerStarted")]
        public static partial void ListenerStarted(ILogger logger, string listener, string address, string cluster);

        [LoggerMessage(EventIds.ListenerBindFailed, LogLevel.Error, "listener {Listener}: cannot bind {Address}: {Message}", EventName = "ListenerBindFailed")]
        public static partial void BindFailed(ILogger logger, string listener, string address, string message);

        [LoggerMessage(EventIds.ListenerUpdated, LogLevel.Information, "listener {Listener} on {Address} updated in place: new connections use the new settings, open ones keep theirs", EventName = "ListenerUpdated")]
        public static partial void ListenerUpdated(ILogger logger, string listener, string address);

        [LoggerMessage(EventIds.ListenerDraining, LogLevel.Information, "listener {Listener} on {Address} {Why}: no longer accepting there; {Connections} open connection(s) get up to {DrainSeconds} s to finish", EventName = "ListenerDraining")]
        public static partial void ListenerDraining(ILogger logger, string listener, string address, string why, int connections, double drainSeconds);

        [LoggerMessage(EventIds.FilterChainsDraining, LogLevel.Information, "listener {Listener}: filter chain(s) {Chains} removed or changed in place; {Connections} open connection(s) on them get up to {DrainSeconds} s to finish, the other chains' connections are untouched", EventName = "FilterChainsDraining")]
        public static partial void FilterChainsDraining(ILogger logger, string listener, string chains, int connections, double drainSeconds);

        [LoggerMessage(EventIds.ListenerDrainClosed, LogLevel.Information, "listener {Listener}: drain time over, closed {Connections} connection(s) still open", EventName = "ListenerDrainClosed")]
        public static partial void ListenerDrainClosed(ILogger logger, string listener, int connections);

        [LoggerMessage(EventIds.ListenerRestored, LogLevel.Warning, "listener {Listener}: the new address could not be bound, so it goes on serving its previous address {Address}", EventName = "ListenerRestored")]
        public static partial void ListenerRestored(ILogger logger, string listener, string address);
    }
}

