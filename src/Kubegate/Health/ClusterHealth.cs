using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health.Active;
using Kubegate.Health.Outlier;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health;

/// <summary>
/// The health of one cluster: its active health checker and outlier detector (either may be absent), and the one
/// place their verdicts become host flags (YARP's <c>DestinationHealthUpdater</c>). Flow, one way: probe or connect
/// result → policy (<see cref="ActiveHealthPolicy"/>, the detector's thresholds) → <see cref="ApplyFlags"/> →
/// <see cref="ClusterState.RecomputeAvailability"/> (the cluster's one availability updater: healthy hosts, or all
/// in panic) → balancer.
/// </summary>
/// <remarks>
/// <para>
/// Locking: <see cref="SyncRoot"/> is this cluster's health lock, shared only by its checker and detector. It may be
/// held while the cluster rebuilds its availability (the cluster's own lock nests inside it, never the other way:
/// the cluster calls <see cref="OnMembershipChanged"/> only after releasing its lock). Anything that changes the
/// cluster's membership or reaches the data path (<see cref="OnActiveCheckFailedHost"/>) runs after this lock is
/// released, so no call ever comes back into a caller that holds a lock.
/// </para>
/// <para>The data path touches only <see cref="OnConnectResult"/>, which takes no lock unless a detector fires.</para>
/// </remarks>
internal sealed partial class ClusterHealth : IClusterHealthMonitor
{
    private const string AddedReason = "added: no traffic until the first health check passes";

    private readonly ClusterState _cluster;
    private readonly HealthServices _services;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private volatile ClusterConfig? _config;
    private volatile ActiveHealthChecker? _checker;
    private volatile OutlierDetector? _detector;
    private bool _disposed;

    public ClusterHealth(ClusterState cluster, HealthServices services)
    {
        _cluster = cluster;
        _services = services;
        _logger = services.Logger;
    }

    /// <summary>
    /// Raised after a host's health flags changed (under <see cref="SyncRoot"/>, so in order; handlers must be quick
    /// and must not block). For live views and tests that await a verdict instead of polling.
    /// </summary>
    public event Action<EndpointState, HealthChange>? HostHealthChanged;

    /// <summary>The active health checker; null when the cluster has no <c>health_checks</c>.</summary>
    public ActiveHealthChecker? ActiveChecker => _checker;

    /// <summary>The outlier detector; null when the cluster has no <c>outlier_detection</c>.</summary>
    public OutlierDetector? OutlierDetector => _detector;

    /// <summary>The health lock of this cluster (its checker's and detector's state, and flag changes).</summary>
    internal Lock SyncRoot => _sync;

    /// <summary>A proxied connection's connect result for <paramref name="host"/> (the data-path hook).</summary>
    public void OnConnectResult(EndpointState host, UpstreamConnectResult result) => _detector?.OnConnectResult(host, result);

    /// <summary>Completes when every host checked right now has had one check result (start-up warming).</summary>
    public Task WhenFirstRoundCompleteAsync() => _checker?.WhenFirstRoundCompleteAsync() ?? Task.CompletedTask;

    /// <inheritdoc/>
    public HealthFlags InitialFlags(ClusterConfig config, EndpointState host) =>
        ActiveHealthPolicy.InitialFlags(!config.HealthChecks.IsEmpty, host.Config.DisableActiveHealthCheck);

    /// <summary>
    /// True when a host that left the EDS assignment should stay, flagged <c>PENDING_DYNAMIC_REMOVAL</c> and still
    /// routed, until it fails a check: the cluster is actively checked, <c>ignore_health_on_host_removal</c> is off,
    /// and neither active checks nor EDS call the host unhealthy (outlier ejection does not count, as in Envoy).
    /// </summary>
    public bool KeepOnRemoval(ClusterConfig config, EndpointState host) =>
        ActiveHealthPolicy.KeepOnRemoval(!config.HealthChecks.IsEmpty, config.IgnoreHealthOnHostRemoval, host.Config.DisableActiveHealthCheck, host.HealthFlags);

    /// <inheritdoc/>
    public void OnMembershipChanged(ClusterConfig config, IReadOnlyList<EndpointState> hosts, IReadOnlyList<EndpointState> added, IReadOnlyList<EndpointState> removed)
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var host in removed)
            {
                _checker?.RemoveHost(host);
                _detector?.RemoveHost(host);
            }

            Configure(config, added.Count == 0 ? hosts : [.. hosts.Except(added)]);
            var now = _services.Time.GetUtcNow();
            foreach (var host in added)
            {
                // The cluster set the initial flags before it published the host; record them as the change they are.
                var initial = InitialFlags(config, host);
                if (initial != HealthFlags.None)
                {
                    RecordChange(host, new HealthChange(now, host.HealthFlags & ~initial, host.HealthFlags, "active_hc", AddedReason));
                }

                _checker?.AddHost(host, warming: false);
                _detector?.AddHost(host);
            }
        }
    }

    /// <summary>
    /// Sets and clears flags of <paramref name="host"/>, records the change, and (by default) rebuilds the available
    /// hosts. Returns true when the flags changed. Called under <see cref="SyncRoot"/>.
    /// </summary>
    internal bool ApplyFlags(EndpointState host, HealthFlags set, HealthFlags clear, string source, string reason, bool recompute = true)
    {
        lock (_sync)
        {
            var before = host.HealthFlags;
            if (!host.UpdateHealthFlags(set, clear))
            {
                return false;
            }

            var change = new HealthChange(_services.Time.GetUtcNow(), before, host.HealthFlags, source, reason);
            if (recompute)
            {
                _cluster.RecomputeAvailability();
            }

            RecordChange(host, change);
            return true;
        }
    }

    /// <summary>An active check passed and the host is healthy by it: lift an outlier ejection (when configured so).</summary>
    internal void OnActiveCheckPassed(EndpointState host)
    {
        if (!host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc))
        {
            _detector?.OnActiveCheckPassed(host);
        }
    }

    /// <summary>
    /// An active check just made <paramref name="host"/> unhealthy: drop it if it was only kept because it passed
    /// checks after leaving EDS, and ask the data path to close its connections with
    /// <c>close_connections_on_host_health_failure</c> (not when a readiness check only drains it:
    /// <paramref name="closeConnections"/> false). Called with no lock held.
    /// </summary>
    internal void OnActiveCheckFailedHost(EndpointState host, bool closeConnections = true)
    {
        if (host.HealthFlags.HasFlag(HealthFlags.PendingDynamicRemoval))
        {
            Log.HostRemovedAfterHealthFailure(_logger, _cluster.Name, host.AddressText);
            _cluster.RemoveHost(host);
        }

        if (closeConnections && _config is { CloseConnectionsOnHostHealthFailure: true } && _services.Connections is { } connections)
        {
            // Off the checker's thread: closing sockets is quick, but there may be thousands.
            var cluster = _cluster;
            var logger = _logger;
            ThreadPool.UnsafeQueueUserWorkItem(_ => Log.ConnectionsClosed(logger, cluster.Name, host.AddressText, connections.CloseConnections(cluster, host)), null);
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _disposed = true;
            _checker?.Dispose();
            _detector?.Dispose();
        }
    }

    /// <summary>
    /// Applies the cluster's config (under the health lock). A changed or new health check starts a new checker whose
    /// existing hosts keep serving until their first result; a removed one clears its flags. The same for outlier
    /// detection, whose ejections are lifted on any change.
    /// </summary>
    private void Configure(ClusterConfig config, IReadOnlyList<EndpointState> hosts)
    {
        _config = config;
        var healthCheck = config.HealthChecks.IsEmpty ? null : config.HealthChecks[0];
        var checker = _checker;
        if (healthCheck is null ? checker is not null : checker is null || !checker.IsSameAs(config, healthCheck))
        {
            checker?.Stop(clearFlagsOf: healthCheck is null ? hosts : null);
            checker = healthCheck is null ? null : new ActiveHealthChecker(this, _cluster, config, healthCheck, _services);
            _checker = checker;
            foreach (var host in hosts)
            {
                checker?.AddHost(host, warming: true);
            }
        }

        var detector = _detector;
        var outlier = config.OutlierDetection;
        if (outlier != detector?.Config || (detector is not null && detector.ObservabilityName != config.ObservabilityName))
        {
            detector?.Stop(clearEjections: true);
            detector = outlier is null ? null : new OutlierDetector(this, config, outlier, _services);
            _detector = detector;
            foreach (var host in hosts)
            {
                detector?.AddHost(host);
            }
        }
    }

    private void RecordChange(EndpointState host, HealthChange change)
    {
        HostHealthInfo.For(host).RecordChange(change);
        HostHealthChanged?.Invoke(host, change);
    }
}
