using System.Net;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Listeners;
using Kubegate.Proxy;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Hosting;

/// <summary>
/// The proxy as one object: clusters, listeners, connections and stats built from a config snapshot. The host
/// runs it as a service; tests run it in-process on 127.0.0.1 port 0 listeners and read its stats directly.
/// </summary>
internal sealed partial class KubegateServer : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly KubegateServerOptions _options;
    private readonly ConfigSnapshot _snapshot;
    private int _stopped;

    public KubegateServer(ConfigSnapshot snapshot, KubegateServerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _snapshot = snapshot;
        _options = options ?? new KubegateServerOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("kubegate");
        Stats = new StatsStore();
        Clusters = new ClusterManager(Stats, _options.Random);
        Connections = new ConnectionManager(_options.TimeProvider, Stats);
        var context = new ProxyContext(Clusters, Connections, loggerFactory.CreateLogger("kubegate.proxy"), _options.TimeProvider, _options.Random, _options.BufferPool);
        Listeners = new ListenerManager(Stats, context, loggerFactory.CreateLogger("kubegate.listeners"));
        Stats.Counter("server.dynamic_unknown_fields").Add(snapshot.Warnings.Count(w => w.IsUnknownField));
    }

    public StatsStore Stats { get; }

    public ClusterManager Clusters { get; }

    public ListenerManager Listeners { get; }

    public ConnectionManager Connections { get; }

    public ConfigSnapshot Snapshot => _snapshot;

    /// <summary>Builds the clusters, then binds the listeners (Envoy's order: clusters warm before listeners).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var snapshot = Snapshot;
        Log.Starting(_logger, snapshot.Listeners.Length, snapshot.Clusters.Length);
        Clusters.Apply(snapshot);
        var failed = await Listeners.ApplyAsync(snapshot).ConfigureAwait(false);
        Stats.Gauge("server.live").Set(1);
        Log.Started(_logger, Listeners.Listeners.Count, failed.Count);
    }

    /// <summary>The bound address of a listener by name (port 0 in the config gives the real port here).</summary>
    public IPEndPoint GetListenerEndPoint(string name) =>
        Listeners.Find(name)?.LocalEndPoint ?? throw new InvalidOperationException($"listener '{name}' is not listening");

    /// <summary>
    /// Stops accepting, lets open connections finish for up to <see cref="KubegateServerOptions.DrainTime"/>, then
    /// closes the rest. Cancelling the token ends the wait at once.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        Stats.Gauge("server.live").Set(0);
        Log.Stopping(_logger, Connections.Count, _options.DrainTime.TotalSeconds);
        await Listeners.StopAsync().ConfigureAwait(false);
        var closed = await Connections.DrainAsync(_options.DrainTime, cancellationToken).ConfigureAwait(false);
        if (closed > 0)
        {
            Log.DrainTimedOut(_logger, closed);
        }

        Log.Stopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync().ConfigureAwait(false);
        await StopAsync(cancelled.Token).ConfigureAwait(false);
        await Listeners.DisposeAsync().ConfigureAwait(false);
        Connections.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.Starting, LogLevel.Information, "starting: {Listeners} listener(s), {Clusters} cluster(s)", EventName = "Starting")]
        public static partial void Starting(ILogger logger, int listeners, int clusters);

        [LoggerMessage(EventIds.Started, LogLevel.Information, "started: {Listening} listener(s) accepting, {Failed} failed to bind", EventName = "Started")]
        public static partial void Started(ILogger logger, int listening, int failed);

        [LoggerMessage(EventIds.Stopping, LogLevel.Information, "stopping: no longer accepting; {Connections} open connection(s) get up to {DrainSeconds} s to finish", EventName = "Stopping")]
        public static partial void Stopping(ILogger logger, int connections, double drainSeconds);

        [LoggerMessage(EventIds.DrainTimedOut, LogLevel.Warning, "drain time over: closed {Connections} connection(s) still open", EventName = "DrainTimedOut")]
        public static partial void DrainTimedOut(ILogger logger, int connections);

        [LoggerMessage(EventIds.Stopped, LogLevel.Information, "stopped", EventName = "Stopped")]
        public static partial void Stopped(ILogger logger);
    }
}
