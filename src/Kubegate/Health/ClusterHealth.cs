using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health.Active;
using Kubegate.Health.Outlier;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health;

/// <summary>
/// The health of one cluster: its active health checker and outlier detector (either may be absent), and the one
/// place their verdicts become host flags. Flow, one way (YARP's <c>DestinationHealthUpdater</c>): probe or
/// connect result → policy (checker/detector) → <see cref="ApplyFlags"/> → <see cref="ClusterState.RecomputeAvailability"/>
/// (healthy hosts, or all in panic) → balancer.
/// </summary>
/// <remarks>
/// Every mutation runs under <see cref="ClusterState.SyncRoot"/>, the same lock that guards the cluster's host set,
/// so an EDS update and a health verdict never interleave. The data path touches only
/// <see cref="OnConnectResult"/>, which takes no lock unless a detector fires.
/// </remarks>
internal sealed partial class ClusterHealth : IDisposable
{
    private readonly ClusterState _cluster;
    private readonly HealthServices _services;
    private readonly ILogger _logger;
    private ClusterConfig? _config;
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
    /// Raised after a host's health flags changed (under the cluster lock, so in order; handlers must be quick and
    /// must not block). For live views and tests that await a verdict instead of polling.
    /// </summary>
    public event Action<EndpointState, HealthChange>? HostHealthChanged;

    /// <summary>The active health checker; null when the cluster has no <c>health_checks</c>.</summary>
    public ActiveHealthChecker? ActiveChecker => _checker;

    /// <summary>The outlier detector; null when the cluster has no <c>outlier_detection</c>.</summary>
    public OutlierDetector? OutlierDetector => _detector;

    /// <summary>A proxied connection's connect result for <paramref name="host"/> (the data-path hook).</summary>
    public void OnConnectResult(EndpointState host, UpstreamConnectResult result) => _detector?.OnConnectResult(host, result);

    /// <summary>Completes when every host checked right now has had one check result (start-up warming).</summary>
    public Task WhenFirstRoundCompleteAsync() => _checker?.WhenFirstRoundCompleteAsync() ?? Task.CompletedTask;

    /// <summary>
    /// Applies the cluster's config (under the cluster lock, before the host diff). A changed or new health check
    /// starts a new checker whose existing hosts keep serving until their first result; a removed one clears its
    /// flags. The same for outlier detection, whose ejections are lifted on any change.
    /// </summary>
    internal void Configure(ClusterConfig config, IReadOnlyList<EndpointState> hosts)
    {
        if (_disposed)
        {
            return;
        }

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
            detector = outlier is null ? null : new OutlierDetector(this, _cluster, config, outlier, _services);
            _detector = detector;
            foreach (var host in hosts)
            {
                detector?.AddHost(host);
            }
        }
    }

    /// <summary>A host joined the cluster (under the cluster lock, before it is published).</summary>
    internal void OnHostAdded(EndpointState host)
    {
        _checker?.AddHost(host, warming: false);
        _detector?.AddHost(host);
    }

    /// <summary>A host left the cluster (under the cluster lock).</summary>
    internal void OnHostRemoved(EndpointState host)
    {
        _checker?.RemoveHost(host);
        _detector?.RemoveHost(host);
    }

    /// <summary>
    /// True when a host that left the EDS assignment should stay, flagged <c>PENDING_DYNAMIC_REMOVAL</c> and still
    /// routed, until it fails a check: the cluster is actively checked, <c>ignore_health_on_host_removal</c> is off,
    /// and neither active checks nor EDS call the host unhealthy (outlier ejection does not count, as in Envoy).
    /// </summary>
    internal bool KeepOnRemoval(EndpointState host) =>
        _checker is not null
        && _config is { IgnoreHealthOnHostRemoval: false }
        && !host.Config.DisableActiveHealthCheck
        && (host.HealthFlags & (HealthFlags.FailedActiveHc | HealthFlags.FailedEdsHealth)) == 0;

    /// <summary>
    /// Sets and clears flags of <paramref name="host"/>, records the change, and (by default) rebuilds the available
    /// hosts. Returns true when the flags changed.
    /// </summary>
    internal bool ApplyFlags(EndpointState host, HealthFlags set, HealthFlags clear, string source, string reason, bool recompute = true)
    {
        lock (_cluster.SyncRoot)
        {
            var before = host.HealthFlags;
            if (!host.UpdateHealthFlags(set, clear))
            {
                return false;
            }

            var change = new HealthChange(_services.Time.GetUtcNow(), before, host.HealthFlags, source, reason);
            HostHealthInfo.For(host).RecordChange(change);
            if (recompute)
            {
                _cluster.RecomputeAvailability();
            }

            HostHealthChanged?.Invoke(host, change);

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
    /// checks after leaving EDS, and close its connections with <c>close_connections_on_host_health_failure</c>.
    /// </summary>
    internal void OnActiveCheckFailedHost(EndpointState host)
    {
        if (host.HealthFlags.HasFlag(HealthFlags.PendingDynamicRemoval))
        {
            Log.HostRemovedAfterHealthFailure(_logger, _cluster.Name, host.AddressText);
            _cluster.RemoveHost(host);
        }

        if (_config is { CloseConnectionsOnHostHealthFailure: true } && _services.Connections is { } connections)
        {
            // Off the lock and off the checker's thread: closing sockets is quick, but there may be thousands.
            var cluster = _cluster;
            var logger = _logger;
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                var closed = 0;
                foreach (var connection in connections.Connections)
                {
                    if (connection.Cluster == cluster && connection.UpstreamHost == host && !connection.IsClosed)
                    {
                        connection.CloseForShutdown();
                        closed++;
                    }
                }

                Log.ConnectionsClosed(logger, cluster.Name, host.AddressText, closed);
            }, null);
        }
    }

    public void Dispose()
    {
        lock (_cluster.SyncRoot)
        {
            _disposed = true;
            _checker?.Dispose();
            _detector?.Dispose();
        }
    }
}
