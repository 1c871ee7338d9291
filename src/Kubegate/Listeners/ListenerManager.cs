using Kubegate.Hosting;
using Kubegate.Configuration;
using Kubegate.Proxy;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Listeners;

/// <summary>
/// The set of running listeners, made equal to a snapshot's: removed ones stop accepting, changed ones with the
/// same address keep their socket, others are (re)bound. One failed bind never stops the rest.
/// </summary>
internal sealed partial class ListenerManager : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly StatsStore _stats;
    private readonly ProxyContext _context;
    private readonly ILogger _logger;
    private readonly Counter _listenerAdded;
    private readonly Counter _listenerModified;
    private readonly Counter _listenerRemoved;
    private readonly Counter _createSuccess;
    private readonly Counter _createFailure;
    private readonly Gauge _totalActive;
    private volatile IReadOnlyList<ProxyListener> _listeners = [];

    public ListenerManager(StatsStore stats, ProxyContext context, ILogger logger)
    {
        _stats = stats;
        _context = context;
        _logger = logger;
        _listenerAdded = stats.Counter("listener_manager.listener_added");
        _listenerModified = stats.Counter("listener_manager.listener_modified");
        _listenerRemoved = stats.Counter("listener_manager.listener_removed");
        _createSuccess = stats.Counter("listener_manager.listener_create_success");
        _createFailure = stats.Counter("listener_manager.listener_create_failure");
        _totalActive = stats.Gauge("listener_manager.total_listeners_active");
    }

    public IReadOnlyList<ProxyListener> Listeners => _listeners;

    public ProxyListener? Find(string name) => _listeners.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.Ordinal));

    /// <summary>Applies the snapshot's listeners; returns the names of listeners that failed to bind.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(ConfigSnapshot snapshot)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var failed = new List<string>();
            var current = _listeners.ToDictionary(l => l.Name, StringComparer.Ordinal);
            var next = new List<ProxyListener>();
            foreach (var config in snapshot.Listeners)
            {
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
                        existing.Update(config);
                        next.Add(existing);
                        continue;
                    }

                    await existing.StopAsync().ConfigureAwait(false);
                }
                else
                {
                    _listenerAdded.Increment();
                }

                var listener = new ProxyListener(config, _stats, _context, _logger);
                try
                {
                    listener.Start();
                    _createSuccess.Increment();
                    Log.ListenerStarted(_logger, config.Name, listener.LocalEndPoint!.ToString(), config.TcpProxy.Cluster ?? "<weighted>");
                    next.Add(listener);
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    _createFailure.Increment();
                    failed.Add(config.Name);
                    Log.BindFailed(_logger, config.Name, config.Address.ToString(), ex.Message);
                }
            }

            foreach (var removed in current.Values)
            {
                _listenerRemoved.Increment();
                await removed.StopAsync().ConfigureAwait(false);
            }

            _listeners = next;
            _totalActive.Set(next.Count);
            return failed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops every listener from accepting (first step of shutdown).</summary>
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
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.ListenerStarted, LogLevel.Information, "listener {Listener} accepting on {Address} -> cluster {Cluster}", EventName = "ListenerStarted")]
        public static partial void ListenerStarted(ILogger logger, string listener, string address, string cluster);

        [LoggerMessage(EventIds.ListenerBindFailed, LogLevel.Error, "listener {Listener}: cannot bind {Address}: {Message}", EventName = "ListenerBindFailed")]
        public static partial void BindFailed(ILogger logger, string listener, string address, string message);
    }
}
