using System.Net;
using Kubegate.AccessLog;
using Kubegate.Admin;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Discovery;
using Kubegate.Health;
using Kubegate.Infrastructure;
using Kubegate.Listeners;
using Kubegate.LoadBalancing;
using Kubegate.LogFiles;
using Kubegate.Proxy;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Hosting;

/// <summary>
/// The proxy as one object: clusters, listeners, connections and stats built from a config snapshot. The host
/// runs it as a service; tests run it in-process on 127.0.0.1 port 0 listeners and read its stats directly.
/// A reload hands it the next snapshot (<see cref="ApplyAsync"/>).
/// </summary>
internal sealed partial class KubegateServer : IAdminHost, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly KubegateServerOptions _options;
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private readonly HealthServices _health;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CancellationTokenSource _drainCut = new();
    private volatile ConfigSnapshot _snapshot;
    private int _stopped;
    private volatile bool _started;
    private AdminServer? _admin;
    private CertificateExpiryReporter? _certificateExpiry;

    /// <param name="snapshot">The configuration to start with.</param>
    /// <param name="options">Process-level settings; null means the defaults.</param>
    /// <param name="loggerFactory">Where logs go; null means nowhere.</param>
    /// <param name="stats">The stats to count into; null means a new store.</param>
    public KubegateServer(ConfigSnapshot snapshot, KubegateServerOptions? options = null, ILoggerFactory? loggerFactory = null, StatsStore? stats = null)
    {
        _snapshot = snapshot;
        _options = options ?? new KubegateServerOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("kubegate");
        Stats = stats ?? new StatsStore();
        Connections = new ConnectionManager(_options.TimeProvider, Stats, _options.Concurrency, loggerFactory.CreateLogger("kubegate.proxy"), _options.PipePool, _options.EventInterface);
        LogFiles = new LogFileSet(Stats, loggerFactory.CreateLogger("kubegate.access_log"), _options.TimeProvider);
        _health = new HealthServices(Stats, _options.TimeProvider, loggerFactory, connections: Connections, logFiles: LogFiles);

        // Health is wired to clusters here, where both are known: Clusters never imports Health.
        Clusters = new ClusterManager(Stats, LoadBalancerFactory.For(_options.Random, _options.TimeProvider), _health.CreateMonitor, _options.TimeProvider);
        AccessLogs = new AccessLogManager(LogFiles, loggerFactory.CreateLogger("kubegate.access_log"));
        var context = new ProxyContext(Clusters, Connections, loggerFactory.CreateLogger("kubegate.proxy"), _options.TimeProvider, _options.Random, _options.BufferPool, AccessLogs, _options.PipePool);
        Listeners = new ListenerManager(Stats, context, loggerFactory.CreateLogger("kubegate.listeners"), _options.DrainTime);
        Discovery = new DiscoveryManager(name => Listeners.Find(name)?.LocalEndPoint, Stats, loggerFactory.CreateLogger("kubegate.discovery"));
        Stats.Counter("server.dynamic_unknown_fields").Add(snapshot.Warnings.Count(w => w.IsUnknownField));
    }

    public string Version => KubegateCommandLine.Version;

    public StatsStore Stats { get; }

    /// <summary>
    /// Every log file of the process, whoever writes it (access logs, health event logs, the admin access log): SIGUSR1
    /// and <c>/reopen_logs</c> reopen them all, and an apply closes the ones the new configuration no longer names.
    /// </summary>
    public LogFileSet LogFiles { get; }

    /// <summary>The last update of each watched config file, filled in by the reload service (shown on the dashboard).</summary>
    public Configuration.Watching.ReloadStatusBoard ReloadStatus { get; } = new();

    public ClusterManager Clusters { get; }

    public ListenerManager Listeners { get; }

    /// <summary>Apiserver discovery of the clusters that ask for it (started once their listeners are bound).</summary>
    public DiscoveryManager Discovery { get; }

    public IReadOnlyList<DiscoveryStatus> DiscoveryStatuses => Discovery.Statuses;

    public ConnectionManager Connections { get; }

    /// <summary>The access-log files of the listeners (<c>/reopen_logs</c> and SIGUSR1 reopen them).</summary>
    public AccessLogManager AccessLogs { get; }

    /// <summary>The configuration in force (the last one applied).</summary>
    public ConfigSnapshot Snapshot => _snapshot;

    /// <summary>The listeners that could not be bound by the last start or apply (retried at the next apply).</summary>
    public IReadOnlyList<ListenerBindFailure> BindFailures { get; private set; } = [];

    /// <summary>The bound admin address (the real port for port 0); null when the bootstrap has no admin address.</summary>
    public IPEndPoint? AdminEndPoint => _admin?.EndPoint;

    /// <summary>
    /// What <c>POST /quitquitquit</c> calls to end the process (the host's <c>StopApplication</c>); null means
    /// <see cref="StopAsync"/> of this server only.
    /// </summary>
    internal Action? StopApplication { get; set; }

    /// <summary>The run-time log level <c>POST /logging</c> changes (the host's logging filter reads it).</summary>
    public LoggingLevelSwitch LogLevels { get; set; } = new();

    /// <summary>True once <see cref="StartAsync"/> has bound the listeners.</summary>
    public bool IsStarted => _started;

    /// <summary>True once <see cref="StopAsync"/> has begun.</summary>
    public bool IsStopping => Volatile.Read(ref _stopped) != 0;

    /// <summary>Stops the process: the host's <see cref="StopApplication"/>, or this server alone when run without one.</summary>
    public void Quit()
    {
        if (StopApplication is { } stop)
        {
            stop();
        }
        else
        {
            _ = StopAsync();
        }
    }

    /// <summary>Reopens every log file (SIGUSR1, <c>/reopen_logs</c>).</summary>
    public void ReopenLogs() => LogFiles.ReopenAll();

    /// <inheritdoc/>
    public void OnMaintenanceChanged(string cluster, string address, MaintenanceMode mode) =>
        Log.MaintenanceChanged(_logger, cluster, address, mode switch
        {
            MaintenanceMode.Drain => "drained: no new connections, open ones left to end",
            MaintenanceMode.Disable => "disabled: no new connections, open ones closed gently at quiet moments",
            _ => "enabled",
        });

    /// <summary>
    /// Ends the shutdown drain now (a second SIGTERM or SIGINT): every open connection is closed and
    /// <see cref="StopAsync"/> finishes. Before the drain starts, it makes the drain end as soon as it begins.
    /// </summary>
    public void CutDrainShort()
    {
        try
        {
            _drainCut.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: there is no drain left to cut.
        }
    }

    /// <summary>Builds the clusters, then binds the listeners (Envoy's order: clusters warm before listeners).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _applyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = Snapshot;
            Log.Starting(_logger, snapshot.Listeners.Length, snapshot.Clusters.Length);
            // An access-log file that cannot be opened for append fails start-up, naming the file (AccessLogOpenException).
            AccessLogs.OpenAll(snapshot);
            Clusters.Apply(snapshot);
            await HealthWarmup.WaitAsync(Clusters.Clusters, _options.TimeProvider, _logger, cancellationToken).ConfigureAwait(false);
            BindFailures = await Listeners.ApplyAsync(snapshot).ConfigureAwait(false);
            await Discovery.ApplyAsync(snapshot).ConfigureAwait(false);
            // server.state is present from the start, as in Envoy: a scraper must see 0 (LIVE) before the drain
            // turns it to 1.
            PublishState(ServerState.Live);
            _started = true;
            if (snapshot.Bootstrap.Admin?.Address is { } adminAddress && _admin is null)
            {
                var admin = new AdminServer(this, adminAddress, _options.TimeProvider, _loggerFactory.CreateLogger("kubegate.admin"), _options.AdminRequestHeadersTimeout);
                await admin.StartAsync(cancellationToken).ConfigureAwait(false);
                _admin = admin;
            }

            // After the first health-check round (HealthWarmup above), so the apiservers' certificates are known.
            _certificateExpiry ??= new CertificateExpiryReporter(CertificateWarnings, _loggerFactory.CreateLogger("kubegate.certificates"), _options.TimeProvider);
            _certificateExpiry.Start();
            Log.Started(_logger, Listeners.Listeners.Count, BindFailures.Count);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>
    /// Makes the running proxy equal to <paramref name="next"/>, a validated snapshot: clusters first (hosts that stay
    /// keep their health and connections; removed clusters go), then listeners (removed ones stop accepting and
    /// drain for <see cref="KubegateServerOptions.DrainTime"/>, changed ones on the same address keep their socket,
    /// new ones bind). Open connections keep the listener settings they started with. One apply at a time.
    /// </summary>
    /// <returns>The listeners that could not be bound; the rest of <paramref name="next"/> is in force regardless.</returns>
    public async Task<IReadOnlyList<ListenerBindFailure>> ApplyAsync(ConfigSnapshot next, CancellationToken cancellationToken = default)
    {
        await _applyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _stopped) != 0)
            {
                // Shutting down: the listeners are closed for good; nothing more to change.
                return [];
            }

            var current = _snapshot;
            var clustersChanged = current.Clusters != next.Clusters || !SameAssignments(current.Assignments, next.Assignments);
            if (clustersChanged)
            {
                // State of the world: clusters and hosts missing from next are removed; hosts that stay keep their
                // state, and removal never closes a connection. Without active health checking a removed host goes
                // at once; with it, ClusterState.Update keeps the host while it passes its checks (Envoy's rule,
                // unless ignore_health_on_host_removal).
                Clusters.Apply(next);

                // Envoy warms an added cluster (first health-check round) before listeners route to it: a listener
                // added in the same update must not send its first connections to hosts nobody has checked yet.
                var added = new List<ClusterState>();
                foreach (var cluster in next.Clusters)
                {
                    if (current.FindCluster(cluster.Name) is null && Clusters.TryGet(cluster.Name, out var state))
                    {
                        added.Add(state);
                    }
                }

                if (added.Count > 0)
                {
                    await HealthWarmup.WaitAsync(added, _options.TimeProvider, _logger, cancellationToken).ConfigureAwait(false);
                }
            }

            // Listeners that failed to bind are tried again on every apply: a port freed since is picked up.
            var listenersChanged = current.Listeners != next.Listeners || Listeners.HasFailedListeners;
            if (listenersChanged)
            {
                BindFailures = await Listeners.ApplyAsync(next).ConfigureAwait(false);
            }

            _snapshot = next;
            await Discovery.ApplyAsync(next).ConfigureAwait(false);
            await LogFiles.CloseUnusedAsync(LogFilePaths(next)).ConfigureAwait(false);
            Log.Applied(_logger, next.Listeners.Length, listenersChanged, next.Clusters.Length, clustersChanged, BindFailures.Count);
            return listenersChanged ? BindFailures : [];
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>Every certificate expired or expiring within 30 days at <paramref name="now"/> (the dashboard shows the same).</summary>
    public IReadOnlyList<string> CertificateWarnings(DateTimeOffset now) =>
        CertsFormatter.Warnings(CertsFormatter.Collect(Clusters.Clusters), CertsFormatter.CollectFiles(Snapshot), now);

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

        // /ready answers 503 DRAINING from here on (the admin interface stays up until the drain ends).
        PublishState(ServerState.Draining);
        Log.Stopping(_logger, Connections.Count, _options.DrainTime.TotalSeconds, _options.DrainStrategy == DrainStrategy.Immediate ? "immediate" : "gradual");

        // An apply in progress finishes first (it may be binding listeners); later ones see _stopped and do nothing.
        await _applyGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        _applyGate.Release();
        await Discovery.DisposeAsync().ConfigureAwait(false);
        if (_certificateExpiry is not null)
        {
            await _certificateExpiry.DisposeAsync().ConfigureAwait(false);
        }

        await Listeners.StopAsync().ConfigureAwait(false);
        using var drainEnd = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _drainCut.Token);
        var closed = await Connections.DrainAsync(_options.DrainTime, _options.DrainStrategy, drainEnd.Token).ConfigureAwait(false);
        if (_drainCut.IsCancellationRequested)
        {
            Log.DrainCutShort(_logger, closed);
        }
        else if (closed > 0)
        {
            Log.DrainTimedOut(_logger, closed);
        }

        if (_admin is not null)
        {
            await _admin.StopAsync().ConfigureAwait(false);
        }

        if (LogFiles.Writers.Count > 0)
        {
            // Connections closed by the drain write their final entry as they finish: give them a moment, then
            // write out every queued line and close the files.
            await Connections.WaitUntilEmptyAsync(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);

            await LogFiles.DisposeAsync().ConfigureAwait(false);
        }

        Log.Stopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync().ConfigureAwait(false);
        await StopAsync(cancelled.Token).ConfigureAwait(false);
        await Listeners.DisposeAsync().ConfigureAwait(false);
        if (_admin is not null)
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
        }

        Connections.Dispose();
        _drainCut.Dispose();
        await LogFiles.DisposeAsync().ConfigureAwait(false);
        foreach (var cluster in Clusters.Clusters)
        {
            cluster.Retire();
        }

        _health.Dispose();
    }

    /// <summary>Every log file <paramref name="snapshot"/> names: access logs, health-check event logs, admin access logs.</summary>
    private static IEnumerable<string> LogFilePaths(ConfigSnapshot snapshot) =>
        AccessLogManager.PathsOf(snapshot)
            .Concat(snapshot.Clusters.SelectMany(c => c.HealthChecks).Select(h => h.EventLogPath).OfType<string>().Where(p => p.Length > 0))
            .Concat(snapshot.Bootstrap.Admin is { } admin ? admin.AccessLog.Select(l => l.Path).Append(admin.AccessLogPath).OfType<string>().Where(p => p.Length > 0) : []);

    private static bool SameAssignments(
        IReadOnlyDictionary<string, ClusterLoadAssignmentConfig> left,
        IReadOnlyDictionary<string, ClusterLoadAssignmentConfig> right)
    {
        if (left.Count != right.Count)
        {
            return false;
        }

        foreach (var (name, assignment) in left)
        {
            if (!right.TryGetValue(name, out var other) || assignment != other)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Envoy's two gauges of the server's state: <c>server.live</c> (1 while live) and <c>server.state</c>.</summary>
    private void PublishState(ServerState state)
    {
        Stats.Gauge("server.live").Set(state == ServerState.Live ? 1 : 0);
        Stats.Gauge("server.state").Set((long)state);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.HostMaintenanceChanged, LogLevel.Warning, "cluster {Cluster}: endpoint {Address} {Change} by an operator", EventName = "HostMaintenanceChanged")]
        public static partial void MaintenanceChanged(ILogger logger, string cluster, string address, string change);

        [LoggerMessage(EventIds.Starting, LogLevel.Information, "starting: {Listeners} listener(s), {Clusters} cluster(s)", EventName = "Starting")]
        public static partial void Starting(ILogger logger, int listeners, int clusters);

        [LoggerMessage(EventIds.Started, LogLevel.Information, "started: {Listening} listener(s) accepting, {Failed} failed to bind", EventName = "Started")]
        public static partial void Started(ILogger logger, int listening, int failed);

        [LoggerMessage(EventIds.Stopping, LogLevel.Information, "stopping: no longer accepting; {Connections} open connection(s) get up to {DrainSeconds} s to finish (drain strategy {Strategy})", EventName = "Stopping")]
        public static partial void Stopping(ILogger logger, int connections, double drainSeconds, string strategy);

        [LoggerMessage(EventIds.DrainCutShort, LogLevel.Warning, "drain cut short: closed {Connections} connection(s) still open", EventName = "DrainCutShort")]
        public static partial void DrainCutShort(ILogger logger, int connections);

        [LoggerMessage(EventIds.DrainTimedOut, LogLevel.Warning, "drain time over: closed {Connections} connection(s) still open", EventName = "DrainTimedOut")]
        public static partial void DrainTimedOut(ILogger logger, int connections);

        [LoggerMessage(EventIds.Stopped, LogLevel.Information, "stopped", EventName = "Stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventIds.ConfigApplied, LogLevel.Debug, "configuration applied: {Listeners} listener(s) (changed: {ListenersChanged}), {Clusters} cluster(s) (changed: {ClustersChanged}), {BindFailures} listener(s) not bound", EventName = "ConfigApplied")]
        public static partial void Applied(ILogger logger, int listeners, bool listenersChanged, int clusters, bool clustersChanged, int bindFailures);
    }
}
