using System.Collections.Immutable;
using System.Threading.Channels;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// Live reload of the LDS, CDS and EDS files, and the one owner of it: watches the files, re-reads a file that
/// changed, validates it completely against the files in force, and hands the new snapshot to the proxy through
/// <see cref="IConfigApplier"/>, or keeps the last good one and says why (<see cref="ReloadReporter"/>).
/// </summary>
/// <remarks>
/// <para>
/// One loop processes every request (watch events after debouncing, SIGHUP, start-up check), so parsing and
/// applying never overlap and the order is Envoy's: clusters, then endpoints, then listeners. A file change reloads
/// that file's subscription; SIGHUP reloads every file. A request that finds a file's SHA-256 unchanged does nothing
/// and counts nothing. Every file kind goes through one template, <see cref="RefreshAsync"/>: read → parse → compose
/// → apply → swap → report; what differs per kind is a <see cref="ConfigFileRefresh"/>.
/// </para>
/// <para>
/// All or nothing per file: a file with any invalid resource is refused whole and nothing of it is applied, and so is
/// a file that is valid alone but not together with the files in force (duplicate names across files, an EDS file of
/// a new cluster that is invalid). Envoy is more lenient: after a file decodes, LDS and CDS apply the valid resources
/// one by one and only report the invalid ones (spec 1.5, "partial application"). kubegate does not, on purpose: a
/// half-applied file is a configuration nobody wrote or reviewed, and the stats and logs already name every problem;
/// the operator fixes the file and the whole of it applies. The stat names and the failure/rejected split are Envoy's.
/// </para>
/// <para>
/// Binding is the only failure that applying can find. It is reported as Envoy reports it, as the LDS update being
/// rejected ("Error adding/updating listener(s) …"), while the rest of that file is in force: the bind happens after
/// validation, and undoing the other listeners would drop their fresh connections for nothing.
/// </para>
/// </remarks>
internal sealed partial class ConfigReloader : IAsyncDisposable
{
    public const string ListenersKey = "lds";
    public const string ClustersKey = "cds";
    private const string EndpointsKeyPrefix = "eds:";

    private readonly IConfigApplier _applier;
    private readonly StatsStore _stats;
    private readonly ILogger _logger;
    private readonly Channel<ReloadRequest> _requests = Channel.CreateUnbounded<ReloadRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Counter _unknownFields;
    private ConfigFileSet _current;
    private ConfigFileWatcher? _watcher;
    private Task? _worker;
    private int _disposed;

    /// <summary>
    /// Takes over a configuration loaded at start-up (and already applied), creates the subscription stats and counts
    /// that load as each subscription's first update, as Envoy counts its first read of a file.
    /// </summary>
    /// <param name="loader">Parses the files (same options as at start-up).</param>
    /// <param name="initial">The start-up configuration; must be valid.</param>
    /// <param name="stats">The proxy's stats.</param>
    /// <param name="applier">Applies a new snapshot to the proxy.</param>
    /// <param name="logger">Where accepted and refused updates are logged.</param>
    /// <param name="time">Clock of <c>update_time</c>; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="initialBindFailures">Listeners that failed to bind at start-up: the first LDS update counts as rejected.</param>
    /// <param name="status">Where each file's last outcome is recorded for the dashboard; null for nowhere.</param>
    public ConfigReloader(
        ConfigLoader loader,
        ConfigFileSet initial,
        StatsStore stats,
        IConfigApplier applier,
        ILogger logger,
        TimeProvider? time = null,
        IReadOnlyList<ListenerApplyFailure>? initialBindFailures = null,
        ReloadStatusBoard? status = null)
    {
        if (initial.Snapshot is null)
        {
            throw new ArgumentException("the start-up configuration has errors; there is nothing to reload from", nameof(initial));
        }

        Loader = loader;
        _current = initial;
        _stats = stats;
        _applier = applier;
        _logger = logger;
        Time = time ?? TimeProvider.System;
        Reporter = new ReloadReporter(logger, Time, status);
        _unknownFields = stats.Counter("server.dynamic_unknown_fields");

        var now = Time.GetUtcNow();
        if (initial.Listeners is { } lds)
        {
            ListenerStats = new SubscriptionStats(stats, "listener_manager.lds.", endpoints: false);
            ListenerStats.UpdateAttempt.Increment();
            if (initialBindFailures is { Count: > 0 })
            {
                ListenerStats.UpdateRejected.Increment();
            }
            else
            {
                ListenerStats.Accepted(lds.VersionInfo, now);
            }
        }

        if (initial.Clusters is { } cds)
        {
            ClusterStats = new SubscriptionStats(stats, "cluster_manager.cds.", endpoints: false);
            ClusterStats.UpdateAttempt.Increment();
            ClusterStats.Accepted(cds.VersionInfo, now);
        }

        foreach (var cluster in initial.ActiveEdsClusters)
        {
            CountFirstEndpointRead(cluster, initial.Endpoints[cluster.Name], now);
        }
    }

    /// <summary>Raised on the reload loop after each subscription's refresh, whatever its outcome.</summary>
    public event Action<ReloadResult>? Completed
    {
        add => Reporter.Completed += value;
        remove => Reporter.Completed -= value;
    }

    /// <summary>Raised on the reload loop when an accepted CDS update changed the set of files watched (observers only).</summary>
    public event Action<IReadOnlyList<WatchTarget>>? WatchTargetsChanged;

    /// <summary>The files in force (last good), with the snapshot composed from them.</summary>
    public ConfigFileSet Current => Volatile.Read(ref _current);

    /// <summary>The snapshot in force.</summary>
    public ConfigSnapshot Snapshot => Current.Snapshot!;

    /// <summary>What to watch for the files in force.</summary>
    public IReadOnlyList<WatchTarget> WatchTargets => Current.WatchTargets();

    /// <summary>The file watcher; null before <see cref="StartWatching"/>.</summary>
    public ConfigFileWatcher? Watcher => _watcher;

    internal ConfigLoader Loader { get; }

    internal ReloadReporter Reporter { get; }

    internal TimeProvider Time { get; }

    internal SubscriptionStats? ListenerStats { get; }

    internal SubscriptionStats? ClusterStats { get; }

    /// <summary>The subscription key of an EDS file (one key per file, however many clusters read it).</summary>
    public static string EndpointsKey(string fullPath) => EndpointsKeyPrefix + fullPath;

    /// <summary>The subscription name of a cluster's EDS file in results and logs.</summary>
    public static string EndpointsSubscription(ClusterConfig cluster) => "eds (cluster " + cluster.Name + ")";

    /// <summary>
    /// Watches the files in force (and, after a CDS update, the new set): a change to a file reloads that file's
    /// subscription, as a tracked reload (<see cref="IConfigApplier.ReloadStarting"/>).
    /// </summary>
    /// <param name="logger">Where watch problems go.</param>
    /// <param name="debounce">Quiet period after the last event of a file; default 250 ms.</param>
    public void StartWatching(ILogger logger, TimeSpan? debounce = null)
    {
        if (_watcher is not null)
        {
            return;
        }

        _watcher = new ConfigFileWatcher(key => _ = ReloadAsync(key, force: false), Time, logger, debounce);
        _watcher.Watch(WatchTargets);
    }

    /// <summary>Starts the reload loop. Requests made before are kept and processed first.</summary>
    public void Start() => _worker ??= Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>Asks for one subscription's file to be checked, untracked (nobody waits for it).</summary>
    public void Request(string key) => _requests.Writer.TryWrite(new ReloadRequest(key, false, null));

    /// <summary>Asks for every file to be checked, untracked; <paramref name="force"/> re-reads files whose hash is unchanged.</summary>
    public void RequestAll(bool force) => _requests.Writer.TryWrite(new ReloadRequest(null, force, null));

    /// <summary>Checks every file and returns the results once processed (the loop must be started).</summary>
    public Task<IReadOnlyList<ReloadResult>> ReloadAllAsync(bool force) => ReloadAsync(null, force);

    /// <summary>
    /// Checks one subscription's file (<paramref name="key"/>), or every file (null; SIGHUP), between
    /// <see cref="IConfigApplier.ReloadStarting"/> and <see cref="IConfigApplier.ReloadFinished"/>, and returns the
    /// results once processed; <paramref name="force"/> re-reads files whose hash is unchanged.
    /// </summary>
    public Task<IReadOnlyList<ReloadResult>> ReloadAsync(string? key, bool force)
    {
        var completion = new TaskCompletionSource<IReadOnlyList<ReloadResult>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _applier.ReloadStarting();
        _ = completion.Task.ContinueWith(
            static (_, state) => ((IConfigApplier)state!).ReloadFinished(), _applier, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (!_requests.Writer.TryWrite(new ReloadRequest(key, force, completion)))
        {
            completion.TrySetCanceled();
        }

        return completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _watcher?.Dispose();
        _requests.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_worker is { } worker)
        {
            await worker.ConfigureAwait(false);
        }

        while (_requests.Reader.TryRead(out var request))
        {
            request.Completion?.TrySetCanceled();
        }

        _stopping.Dispose();
    }

    /// <summary>Counts a cluster's first read of its EDS file (start-up, or the CDS update that added the cluster).</summary>
    internal void CountFirstEndpointRead(ClusterConfig cluster, DynamicFileResult<ClusterLoadAssignmentConfig> file, DateTimeOffset now)
    {
        var stats = EndpointStats(cluster);
        stats.UpdateAttempt.Increment();
        if (file.Resources.IsEmpty)
        {
            stats.UpdateEmpty!.Increment();
        }

        stats.Accepted(file.VersionInfo, now);
    }

    internal SubscriptionStats EndpointStats(ClusterConfig cluster) =>
        new(_stats, "cluster." + cluster.ObservabilityName + ".", endpoints: true);

    internal void CountUnknownFields<T>(DynamicFileResult<T> file)
    {
        // Warnings only: with --reject-unknown-dynamic-fields they are errors and the update is rejected instead.
        var count = file.Problems.Count(p => p.IsUnknownField && p.Severity == ConfigErrorSeverity.Warning);
        if (count > 0)
        {
            _unknownFields.Add(count);
        }
    }

    /// <summary>Makes the watched set <paramref name="targets"/> (after a CDS update changed the EDS files).</summary>
    internal void Watch(IReadOnlyList<WatchTarget> targets)
    {
        _watcher?.Watch(targets);
        WatchTargetsChanged?.Invoke(targets);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _requests.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Everything queued so far is handled as one batch: a burst across files (a ConfigMap swap changes
                // lds, cds and eds at once) is applied in Envoy's order, clusters first.
                var keys = new HashSet<string>(StringComparer.Ordinal);
                var all = false;
                var force = false;
                var waiting = new List<TaskCompletionSource<IReadOnlyList<ReloadResult>>>();
                while (reader.TryRead(out var request))
                {
                    all |= request.Key is null;
                    force |= request.Force;
                    if (request.Key is { } key)
                    {
                        keys.Add(key);
                    }

                    if (request.Completion is { } completion)
                    {
                        waiting.Add(completion);
                    }
                }

                IReadOnlyList<ReloadResult> results;
                try
                {
                    results = await ProcessAsync(keys, all, force, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    waiting.ForEach(w => w.TrySetCanceled(cancellationToken));
                    throw;
                }
                catch (Exception ex)
                {
                    // A bug in one reload must not end watching: the last good config stays and the next change retries.
                    Log.ReloadCrashed(_logger, ex);
                    results = [];
                }

                waiting.ForEach(w => w.TrySetResult(results));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<IReadOnlyList<ReloadResult>> ProcessAsync(HashSet<string> keys, bool all, bool force, CancellationToken cancellationToken)
    {
        var results = new List<ReloadResult>();
        if (all || keys.Contains(ClustersKey))
        {
            await RefreshAsync(new ClusterFileRefresh(this), force, results, cancellationToken).ConfigureAwait(false);
        }

        foreach (var path in Current.ActiveEdsClusters.Select(c => c.EdsConfig!.FullPath).Distinct(StringComparer.Ordinal).ToList())
        {
            if (all || keys.Contains(EndpointsKey(path)))
            {
                await RefreshAsync(new EndpointFileRefresh(this, path), force, results, cancellationToken).ConfigureAwait(false);
            }
        }

        if (all || keys.Contains(ListenersKey))
        {
            await RefreshAsync(new ListenerFileRefresh(this), force, results, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>The one refresh template of every file kind: read → parse → compose → apply → swap → report.</summary>
    private async Task RefreshAsync(ConfigFileRefresh refresh, bool force, List<ReloadResult> results, CancellationToken cancellationToken)
    {
        var before = Current;
        if (refresh.Select(before) is not { } target)
        {
            return;
        }

        // Read.
        if (!ReadContent(target.Source, force, out var hash))
        {
            results.AddRange(target.Subscribers.Select(s => Reporter.Unchanged(s, target.Source)));
            return;
        }

        foreach (var subscriber in target.Subscribers)
        {
            subscriber.Stats.UpdateAttempt.Increment();
        }

        if (!hash.Exists)
        {
            results.AddRange(target.Subscribers.Select(s => Reporter.Unreadable(s, target.Source, hash)));
            return;
        }

        // Parse.
        var current = Current;
        if (refresh.Parse(current, target, results) is not { Updates.Count: > 0 } change)
        {
            return;
        }

        // Compose and apply.
        var next = change.Next;
        var composed = ConfigLoader.Compose(next.Bootstrap, next.Listeners, next.Clusters, next.Endpoints);
        var failures = composed.Succeeded ? await ApplyAsync(composed.Snapshot!, cancellationToken).ConfigureAwait(false) : null;
        if (failures is null)
        {
            foreach (var update in change.Updates)
            {
                var problems = composed.Succeeded ? [ApplyError(update.File)] : NewProblems(composed, update.Problems, current.Result);
                results.Add(Reporter.Refused(update.Subscriber, update.File, update.VersionInfo, parseFailed: false, problems));
            }

            return;
        }

        // Swap.
        Swap(refresh.Completing(next with { Result = composed }));

        // Report.
        foreach (var update in change.Updates)
        {
            var problems = NewProblems(composed, update.Problems, current.Result);
            var applyProblems = refresh.ApplyProblems(update, failures);
            results.Add(applyProblems.IsEmpty
                ? Reporter.Accepted(update.Subscriber, update.File, update.VersionInfo, problems)
                : Reporter.Refused(update.Subscriber, update.File, update.VersionInfo, parseFailed: false, problems.AddRange(applyProblems), applied: true));
        }

        refresh.AfterSwap(before, Current);
    }

    /// <summary>Hashes the file and records the hash; false when it is unchanged and the refresh is not forced.</summary>
    private bool ReadContent(ConfigSourceConfig source, bool force, out ContentHash hash)
    {
        hash = ContentHash.Of(source.FullPath);
        var current = Current;
        var unchanged = current.Hashes.TryGetValue(source.FullPath, out var last) && last == hash;
        if (!unchanged)
        {
            Swap(current with { Hashes = current.Hashes.SetItem(source.FullPath, hash) });
        }

        return force || !unchanged;
    }

    private async Task<IReadOnlyList<ListenerApplyFailure>?> ApplyAsync(ConfigSnapshot snapshot, CancellationToken cancellationToken)
    {
        try
        {
            return await _applier.ApplyAsync(snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.ReloadCrashed(_logger, ex);
            return null;
        }
    }

    private void Swap(ConfigFileSet next) => Volatile.Write(ref _current, next);

    /// <summary>
    /// What to log for a refresh: every problem of the changed file, plus the problems of the composed configuration
    /// that the configuration in force did not already have (cross-file errors, a new EDS file's warnings), so the
    /// unchanged files' warnings are not repeated at every reload.
    /// </summary>
    private static ImmutableArray<ConfigError> NewProblems(ConfigLoadResult composed, ImmutableArray<ConfigError> changedFile, ConfigLoadResult inForce)
    {
        var known = new HashSet<ConfigError>(changedFile);
        known.UnionWith(inForce.Problems);
        return [.. changedFile, .. composed.Problems.Where(p => !known.Contains(p))];
    }

    private static ConfigError ApplyError(string file) =>
        new(file, 0, string.Empty, "applying the update failed (see the error logged before); the last good configuration stays in force");
}
