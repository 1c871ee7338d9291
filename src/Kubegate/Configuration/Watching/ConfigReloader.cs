using System.Collections.Immutable;
using System.Threading.Channels;
using Kubegate.Listeners;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// Live reload of the LDS, CDS and EDS files: re-reads a file that changed, validates it completely against the
/// files in force, and hands the new snapshot to the proxy, or keeps the last good one and says why.
/// </summary>
/// <remarks>
/// <para>
/// One loop processes every request (watch events after debouncing, SIGHUP, start-up check), so parsing and
/// applying never overlap and the order is Envoy's: clusters, then endpoints, then listeners. A request that finds a
/// file's SHA-256 unchanged does nothing and counts nothing.
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

    private readonly ConfigLoader _loader;
    private readonly ConfigApplier _apply;
    private readonly StatsStore _stats;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<ReloadRequest> _requests = Channel.CreateUnbounded<ReloadRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Counter _unknownFields;
    private readonly SubscriptionStats? _ldsStats;
    private readonly SubscriptionStats? _cdsStats;
    private ConfigFileSet _current;
    private Task? _worker;
    private int _disposed;

    /// <summary>
    /// Takes over a configuration loaded at start-up (and already applied), creates the subscription stats and counts
    /// that load as each subscription's first update, as Envoy counts its first read of a file.
    /// </summary>
    /// <param name="loader">Parses the files (same options as at start-up).</param>
    /// <param name="initial">The start-up configuration; must be valid.</param>
    /// <param name="stats">The proxy's stats.</param>
    /// <param name="apply">Applies a new snapshot to the proxy.</param>
    /// <param name="logger">Where accepted and refused updates are logged.</param>
    /// <param name="time">Clock of <c>update_time</c>; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="initialBindFailures">Listeners that failed to bind at start-up: the first LDS update counts as rejected.</param>
    public ConfigReloader(
        ConfigLoader loader,
        ConfigFileSet initial,
        StatsStore stats,
        ConfigApplier apply,
        ILogger logger,
        TimeProvider? time = null,
        IReadOnlyList<ListenerBindFailure>? initialBindFailures = null)
    {
        if (initial.Snapshot is null)
        {
            throw new ArgumentException("the start-up configuration has errors; there is nothing to reload from", nameof(initial));
        }

        _loader = loader;
        _current = initial;
        _stats = stats;
        _apply = apply;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _unknownFields = stats.Counter("server.dynamic_unknown_fields");

        var now = _time.GetUtcNow();
        if (initial.Listeners is { } lds)
        {
            _ldsStats = new SubscriptionStats(stats, "listener_manager.lds.", endpoints: false);
            _ldsStats.UpdateAttempt.Increment();
            if (initialBindFailures is { Count: > 0 })
            {
                _ldsStats.UpdateRejected.Increment();
            }
            else
            {
                _ldsStats.Accepted(lds.VersionInfo, now);
            }
        }

        if (initial.Clusters is { } cds)
        {
            _cdsStats = new SubscriptionStats(stats, "cluster_manager.cds.", endpoints: false);
            _cdsStats.UpdateAttempt.Increment();
            _cdsStats.Accepted(cds.VersionInfo, now);
        }

        foreach (var cluster in initial.ActiveEdsClusters)
        {
            CountFirstEndpointRead(cluster, initial.Endpoints[cluster.Name], now);
        }
    }

    /// <summary>Raised on the reload loop after each subscription's refresh, whatever its outcome.</summary>
    public event Action<ReloadResult>? Completed;

    /// <summary>Raised on the reload loop when an accepted CDS update changed the set of EDS files to watch.</summary>
    public event Action<IReadOnlyList<WatchTarget>>? WatchTargetsChanged;

    /// <summary>The files in force (last good), with the snapshot composed from them.</summary>
    public ConfigFileSet Current => Volatile.Read(ref _current);

    /// <summary>The snapshot in force.</summary>
    public ConfigSnapshot Snapshot => Current.Snapshot!;

    /// <summary>What to watch for the files in force.</summary>
    public IReadOnlyList<WatchTarget> WatchTargets => Current.WatchTargets();

    /// <summary>The subscription key of an EDS file (one key per file, however many clusters read it).</summary>
    public static string EndpointsKey(string fullPath) => EndpointsKeyPrefix + fullPath;

    /// <summary>Starts the reload loop. Requests made before are kept and processed first.</summary>
    public void Start() => _worker ??= Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>Asks for one subscription's file to be checked (from the watcher, after debouncing).</summary>
    public void Request(string key) => _requests.Writer.TryWrite(new ReloadRequest(key, false, null));

    /// <summary>Asks for every file to be checked; <paramref name="force"/> re-reads files whose hash is unchanged (SIGHUP).</summary>
    public void RequestAll(bool force) => _requests.Writer.TryWrite(new ReloadRequest(null, force, null));

    /// <summary>Checks every file and returns the results once processed (the loop must be started).</summary>
    public Task<IReadOnlyList<ReloadResult>> ReloadAllAsync(bool force)
    {
        var completion = new TaskCompletionSource<IReadOnlyList<ReloadResult>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_requests.Writer.TryWrite(new ReloadRequest(null, force, completion)))
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
            await ReloadClustersAsync(force, results, cancellationToken).ConfigureAwait(false);
        }

        foreach (var path in Current.ActiveEdsClusters.Select(c => c.EdsConfig!.FullPath).Distinct(StringComparer.Ordinal).ToList())
        {
            if (all || keys.Contains(EndpointsKey(path)))
            {
                await ReloadEndpointsAsync(path, force, results, cancellationToken).ConfigureAwait(false);
            }
        }

        if (all || keys.Contains(ListenersKey))
        {
            await ReloadListenersAsync(force, results, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    private async Task ReloadListenersAsync(bool force, List<ReloadResult> results, CancellationToken cancellationToken)
    {
        var current = Current;
        if (current.Bootstrap.Bootstrap.LdsConfig is not { } source || _ldsStats is not { } stats)
        {
            return;
        }

        if (!ReadContent(source, force, out var hash))
        {
            Report(results, Unchanged(ListenersKey, source));
            return;
        }

        stats.UpdateAttempt.Increment();
        if (!hash.Exists)
        {
            Report(results, Unreadable(stats, ListenersKey, source, hash));
            return;
        }

        var parsed = _loader.ParseListenerFile(source);
        CountUnknownFields(parsed);
        if (!parsed.Succeeded)
        {
            Report(results, Refuse(stats, ListenersKey, parsed.File, parsed.VersionInfo, parsed.ParseFailed, parsed.Problems));
            return;
        }

        var composed = ConfigLoader.Compose(current.Bootstrap, parsed, current.Clusters, current.Endpoints);
        var problems = NewProblems(composed, parsed.Problems, current.Result);
        if (!composed.Succeeded)
        {
            Report(results, Refuse(stats, ListenersKey, parsed.File, parsed.VersionInfo, parseFailed: false, problems));
            return;
        }

        var failures = await ApplyAsync(composed.Snapshot!, cancellationToken).ConfigureAwait(false);
        if (failures is null)
        {
            Report(results, Refuse(stats, ListenersKey, parsed.File, parsed.VersionInfo, parseFailed: false, [ApplyError(parsed.File)]));
            return;
        }

        Swap(Current with { Listeners = parsed, Result = composed });
        if (failures.Count > 0)
        {
            var bindErrors = failures.Select(f => BindError(parsed, f)).ToImmutableArray();
            Report(results, Refuse(stats, ListenersKey, parsed.File, parsed.VersionInfo, parseFailed: false, problems.AddRange(bindErrors), applied: true));
            return;
        }

        Report(results, Accept(stats, ListenersKey, parsed.File, parsed.VersionInfo, problems));
    }

    private async Task ReloadClustersAsync(bool force, List<ReloadResult> results, CancellationToken cancellationToken)
    {
        var current = Current;
        if (current.Bootstrap.Bootstrap.CdsConfig is not { } source || _cdsStats is not { } stats)
        {
            return;
        }

        if (!ReadContent(source, force, out var hash))
        {
            Report(results, Unchanged(ClustersKey, source));
            return;
        }

        stats.UpdateAttempt.Increment();
        if (!hash.Exists)
        {
            Report(results, Unreadable(stats, ClustersKey, source, hash));
            return;
        }

        var parsed = _loader.ParseClusterFile(source);
        CountUnknownFields(parsed);
        if (!parsed.Succeeded)
        {
            Report(results, Refuse(stats, ClustersKey, parsed.File, parsed.VersionInfo, parsed.ParseFailed, parsed.Problems));
            return;
        }

        // The EDS files of the new cluster set: a cluster that keeps its EDS file keeps the endpoints in force (its own
        // subscription goes on); a new one (or one pointed at another file) is a new subscription whose first read is
        // now, and must be valid for the CDS update to be accepted.
        var previous = current.ActiveEdsClusters.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var endpoints = ImmutableDictionary.CreateBuilder<string, DynamicFileResult<ClusterLoadAssignmentConfig>>(StringComparer.Ordinal);
        var hashes = Current.Hashes.ToBuilder();
        var read = new Dictionary<(string, string), DynamicFileResult<ClusterLoadAssignmentConfig>>();
        var started = new List<ClusterConfig>();
        foreach (var cluster in ConfigFileSet.EdsClusters(current.Bootstrap.Bootstrap.StaticClusters, parsed.Resources))
        {
            var eds = cluster.EdsConfig!;
            if (previous.TryGetValue(cluster.Name, out var before)
                && string.Equals(before.EdsConfig!.FullPath, eds.FullPath, StringComparison.Ordinal)
                && string.Equals(before.ExpectedEdsClusterName, cluster.ExpectedEdsClusterName, StringComparison.Ordinal)
                && current.Endpoints.TryGetValue(cluster.Name, out var kept))
            {
                endpoints[cluster.Name] = kept;
                continue;
            }

            var key = (eds.FullPath, cluster.ExpectedEdsClusterName);
            if (!read.TryGetValue(key, out var result))
            {
                // A file already watched for another cluster keeps the hash it was last processed with, so a pending
                // change of it is still seen as a change by that file's own refresh.
                if (!hashes.ContainsKey(eds.FullPath))
                {
                    hashes[eds.FullPath] = ContentHash.Of(eds.FullPath);
                }

                result = _loader.ParseEndpointFile(eds, cluster.ExpectedEdsClusterName);
                CountUnknownFields(result);
                read.Add(key, result);
            }

            endpoints[cluster.Name] = result;
            started.Add(cluster);
        }

        var endpointMap = endpoints.ToImmutable();
        var composed = ConfigLoader.Compose(current.Bootstrap, current.Listeners, parsed, endpointMap);
        var problems = NewProblems(composed, parsed.Problems, current.Result);
        if (!composed.Succeeded)
        {
            Report(results, Refuse(stats, ClustersKey, parsed.File, parsed.VersionInfo, parseFailed: false, problems));
            return;
        }

        if (await ApplyAsync(composed.Snapshot!, cancellationToken).ConfigureAwait(false) is null)
        {
            Report(results, Refuse(stats, ClustersKey, parsed.File, parsed.VersionInfo, parseFailed: false, [ApplyError(parsed.File)]));
            return;
        }

        var oldTargets = current.WatchTargets();
        var next = Current with { Clusters = parsed, Endpoints = endpointMap, Result = composed };
        var inUse = next.WatchTargets();
        var paths = next.ActiveEdsClusters.Select(c => c.EdsConfig!.FullPath)
            .Append(next.Bootstrap.Bootstrap.LdsConfig?.FullPath)
            .Append(source.FullPath)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var path in hashes.Keys.Where(p => !paths.Contains(p)).ToList())
        {
            hashes.Remove(path);
        }

        Swap(next with { Hashes = hashes.ToImmutable() });
        Report(results, Accept(stats, ClustersKey, parsed.File, parsed.VersionInfo, problems));

        var now = _time.GetUtcNow();
        foreach (var cluster in started)
        {
            CountFirstEndpointRead(cluster, endpointMap[cluster.Name], now);
        }

        if (!oldTargets.SequenceEqual(inUse))
        {
            WatchTargetsChanged?.Invoke(inUse);

            // A new EDS file may have changed between its read above and its watch starting: check it once more.
            foreach (var cluster in started)
            {
                Request(EndpointsKey(cluster.EdsConfig!.FullPath));
            }
        }
    }

    private async Task ReloadEndpointsAsync(string fullPath, bool force, List<ReloadResult> results, CancellationToken cancellationToken)
    {
        var current = Current;
        var clusters = current.ActiveEdsClusters.Where(c => string.Equals(c.EdsConfig!.FullPath, fullPath, StringComparison.Ordinal)).ToList();
        if (clusters.Count == 0)
        {
            return;
        }

        var source = clusters[0].EdsConfig!;
        if (!ReadContent(source, force, out var hash))
        {
            foreach (var cluster in clusters)
            {
                Report(results, Unchanged(EdsSubscription(cluster), source));
            }

            return;
        }

        var statsByCluster = clusters.ToDictionary(c => c.Name, EdsStats, StringComparer.Ordinal);
        foreach (var stats in statsByCluster.Values)
        {
            stats.UpdateAttempt.Increment();
        }

        if (!hash.Exists)
        {
            foreach (var cluster in clusters)
            {
                Report(results, Unreadable(statsByCluster[cluster.Name], EdsSubscription(cluster), source, hash));
            }

            return;
        }

        var read = new Dictionary<string, DynamicFileResult<ClusterLoadAssignmentConfig>>(StringComparer.Ordinal);
        var endpoints = current.Endpoints.ToBuilder();
        var changed = new List<(ClusterConfig Cluster, DynamicFileResult<ClusterLoadAssignmentConfig> File)>();
        foreach (var cluster in clusters)
        {
            var stats = statsByCluster[cluster.Name];
            if (!read.TryGetValue(cluster.ExpectedEdsClusterName, out var parsed))
            {
                parsed = _loader.ParseEndpointFile(cluster.EdsConfig!, cluster.ExpectedEdsClusterName);
                CountUnknownFields(parsed);
                read.Add(cluster.ExpectedEdsClusterName, parsed);
            }

            if (!parsed.Succeeded)
            {
                Report(results, Refuse(stats, EdsSubscription(cluster), parsed.File, parsed.VersionInfo, parsed.ParseFailed, parsed.Problems));
            }
            else if (parsed.Resources.IsEmpty)
            {
                // Envoy (eds.cc): no ClusterLoadAssignment is not an error; update_empty counts it and the previous
                // endpoints stay. The entry in force is left as it is, so the next snapshot still carries them.
                stats.UpdateEmpty!.Increment();
                stats.Accepted(parsed.VersionInfo, _time.GetUtcNow());
                Log.UpdateEmpty(_logger, EdsSubscription(cluster), VersionText(parsed.VersionInfo), parsed.File);
                Report(results, new ReloadResult(EdsSubscription(cluster), parsed.File, ReloadOutcome.Empty, parsed.VersionInfo, parsed.Problems));
            }
            else
            {
                endpoints[cluster.Name] = parsed;
                changed.Add((cluster, parsed));
            }
        }

        if (changed.Count == 0)
        {
            return;
        }

        var endpointMap = endpoints.ToImmutable();
        var composed = ConfigLoader.Compose(current.Bootstrap, current.Listeners, current.Clusters, endpointMap);
        var applied = composed.Succeeded && await ApplyAsync(composed.Snapshot!, cancellationToken).ConfigureAwait(false) is not null;
        if (applied)
        {
            Swap(Current with { Endpoints = endpointMap, Result = composed });
        }

        foreach (var (cluster, parsed) in changed)
        {
            var stats = statsByCluster[cluster.Name];
            var subscription = EdsSubscription(cluster);
            var problems = NewProblems(composed, parsed.Problems, current.Result);
            Report(results, applied
                ? Accept(stats, subscription, parsed.File, parsed.VersionInfo, problems)
                : Refuse(stats, subscription, parsed.File, parsed.VersionInfo, parseFailed: false, composed.Succeeded ? [ApplyError(parsed.File)] : problems));
        }
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

    private async Task<IReadOnlyList<ListenerBindFailure>?> ApplyAsync(ConfigSnapshot snapshot, CancellationToken cancellationToken)
    {
        try
        {
            return await _apply(snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.ReloadCrashed(_logger, ex);
            return null;
        }
    }

    private void Swap(ConfigFileSet next) => Volatile.Write(ref _current, next);

    private void CountFirstEndpointRead(ClusterConfig cluster, DynamicFileResult<ClusterLoadAssignmentConfig> file, DateTimeOffset now)
    {
        var stats = EdsStats(cluster);
        stats.UpdateAttempt.Increment();
        if (file.Resources.IsEmpty)
        {
            stats.UpdateEmpty!.Increment();
        }

        stats.Accepted(file.VersionInfo, now);
    }

    private SubscriptionStats EdsStats(ClusterConfig cluster) =>
        new(_stats, "cluster." + cluster.ObservabilityName + ".", endpoints: true);

    private void CountUnknownFields<T>(DynamicFileResult<T> file)
    {
        // Warnings only: with --reject-unknown-dynamic-fields they are errors and the update is rejected instead.
        var count = file.Problems.Count(p => p.IsUnknownField && p.Severity == ConfigErrorSeverity.Warning);
        if (count > 0)
        {
            _unknownFields.Add(count);
        }
    }

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

    private ReloadResult Accept(SubscriptionStats stats, string subscription, string file, string? version, ImmutableArray<ConfigError> problems)
    {
        stats.Accepted(version, _time.GetUtcNow());
        foreach (var problem in problems)
        {
            Log.UpdateWarning(_logger, subscription, problem.ToString());
        }

        Log.UpdateAccepted(_logger, subscription, VersionText(version), file);
        return new ReloadResult(subscription, file, ReloadOutcome.Accepted, version, problems);
    }

    private ReloadResult Refuse(SubscriptionStats stats, string subscription, string file, string? version, bool parseFailed, ImmutableArray<ConfigError> problems, bool applied = false)
    {
        (parseFailed ? stats.UpdateFailure : stats.UpdateRejected).Increment();
        var errors = 0;
        foreach (var problem in problems)
        {
            if (problem.Severity != ConfigErrorSeverity.Error)
            {
                Log.UpdateWarning(_logger, subscription, problem.ToString());
            }
            else if (parseFailed)
            {
                errors++;
                Log.UpdateFailed(_logger, subscription, problem.ToString());
            }
            else
            {
                errors++;
                Log.UpdateRejected(_logger, subscription, problem.ToString());
            }
        }

        Log.UpdateRefused(
            _logger,
            subscription,
            parseFailed ? "failure" : "rejected",
            errors,
            file,
            applied ? "the rest of the file is in force" : "the last good configuration stays in force");
        return new ReloadResult(subscription, file, parseFailed ? ReloadOutcome.Failed : ReloadOutcome.Rejected, version, problems);
    }

    private ReloadResult Unreadable(SubscriptionStats stats, string subscription, ConfigSourceConfig source, ContentHash hash)
    {
        var problem = new ConfigError(
            source.Path,
            0,
            string.Empty,
            $"unable to read file: '{source.Path}' {hash.Error}",
            "the last good configuration stays in force; put the file back (write a temporary file, then mv it into place)");
        return Refuse(stats, subscription, source.Path, null, parseFailed: true, [problem]);
    }

    private ReloadResult Unchanged(string subscription, ConfigSourceConfig source)
    {
        Log.UpdateUnchanged(_logger, subscription, source.Path);
        return new ReloadResult(subscription, source.Path, ReloadOutcome.Unchanged, null, []);
    }

    private void Report(List<ReloadResult> results, ReloadResult result)
    {
        results.Add(result);
        Completed?.Invoke(result);
    }

    private static ConfigError BindError(DynamicFileResult<ListenerConfig> file, ListenerBindFailure failure)
    {
        var index = -1;
        for (var i = 0; i < file.Resources.Length && index < 0; i++)
        {
            if (string.Equals(file.Resources[i].Name, failure.Name, StringComparison.Ordinal))
            {
                index = i;
            }
        }

        var line = index >= 0 ? file.Resources[index].Location.Line : 0;
        var path = index >= 0 && index < file.ResourcePaths.Length ? file.ResourcePaths[index] + ".address" : string.Empty;
        return new ConfigError(
            file.File,
            line,
            path,
            $"Error adding/updating listener(s) {failure.Name}: {failure}",
            "free the address or pick another port; the listener is bound again on the next accepted LDS update or SIGHUP");
    }

    private static ConfigError ApplyError(string file) =>
        new(file, 0, string.Empty, "applying the update failed (see the error logged before); the last good configuration stays in force");

    private static string EdsSubscription(ClusterConfig cluster) => "eds (cluster " + cluster.Name + ")";

    private static string VersionText(string? version) => string.IsNullOrEmpty(version) ? "none" : version;
}
