using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health.Active;

/// <summary>
/// The active health check of one cluster (its one <c>health_checks</c> entry): a session (probe + timer) per host
/// (YARP's <c>ActiveHealthCheckMonitor</c>). Each result goes through <see cref="ActiveHealthPolicy"/> (Envoy's
/// thresholds) and becomes flag changes through <see cref="ClusterHealth"/>, which has the cluster rebuild its
/// available hosts.
/// </summary>
/// <remarks>Everything here runs under the cluster's health lock (<see cref="ClusterHealth.SyncRoot"/>).</remarks>
internal sealed partial class ActiveHealthChecker : IDisposable
{
    private readonly ClusterHealth _owner;
    private readonly ClusterState _cluster;
    private readonly ClusterConfig _clusterConfig;
    private readonly HealthServices _services;
    private readonly ILogger _logger;
    private readonly Dictionary<EndpointState, HealthCheckSession> _sessions = [];
    private readonly HealthCheckTls? _tls;
    private readonly string? _tlsError;
    private readonly HealthEventLog? _eventLog;
    private bool _disposed;

    public ActiveHealthChecker(ClusterHealth owner, ClusterState cluster, ClusterConfig clusterConfig, HealthCheckConfig config, HealthServices services)
    {
        _owner = owner;
        _cluster = cluster;
        _clusterConfig = clusterConfig;
        _services = services;
        _logger = services.Logger;
        Config = config;
        TransportSocket = clusterConfig.SelectHealthCheckTransportSocket(config);
        Stats = new HealthCheckStats(services.Stats, clusterConfig.ObservabilityName);
        if (TransportSocket?.Tls is { } tls)
        {
            _tls = HealthCheckTls.TryCreate(tls, config.AlpnProtocols, config.Http?.CodecClientType, out _tlsError);
            if (_tlsError is not null)
            {
                Log.TlsConfigFailed(_logger, clusterConfig.Name, _tlsError);
            }
        }

        if (!string.IsNullOrEmpty(config.EventLogPath))
        {
            _eventLog = services.GetEventLog(config.EventLogPath);
        }

        CheckerType = config.Http is not null ? "HTTP" : "TCP";
        Log.Started(_logger, clusterConfig.Name, CheckerType, config.Interval.TotalSeconds, config.NoTrafficInterval.TotalSeconds, TransportSocket?.Tls is not null);
    }

    /// <summary>
    /// Raised after each check result was applied (under the health lock; handlers must be quick). For live views
    /// and tests that await the next result instead of polling.
    /// </summary>
    public event Action<EndpointState, HealthCheckRecord>? CheckCompleted;

    public HealthCheckConfig Config { get; }

    /// <summary>The transport socket the checks use (null: plaintext).</summary>
    public TransportSocketConfig? TransportSocket { get; }

    public HealthCheckStats Stats { get; }

    /// <summary><c>HTTP</c> or <c>TCP</c>.</summary>
    public string CheckerType { get; }

    public TimeProvider Time => _services.Time;

    /// <summary>The hosts being checked and their counters (a copy; read under the health lock).</summary>
    public IReadOnlyList<HealthCheckSession> Sessions
    {
        get
        {
            lock (_owner.SyncRoot)
            {
                return [.. _sessions.Values];
            }
        }
    }

    /// <summary>True when this checker was built from <paramref name="config"/> and would behave the same under it.</summary>
    public bool IsSameAs(ClusterConfig config, HealthCheckConfig healthCheck) =>
        healthCheck == Config
        && config.SelectHealthCheckTransportSocket(healthCheck) == TransportSocket
        && string.Equals(config.Name, _clusterConfig.Name, StringComparison.Ordinal)
        && string.Equals(config.ObservabilityName, _clusterConfig.ObservabilityName, StringComparison.Ordinal);

    /// <summary>
    /// Starts checking <paramref name="host"/>. A new host is failed until its first check passes; a
    /// <paramref name="warming"/> host (already serving when the check was configured) keeps serving until its first
    /// result. Endpoints with <c>disable_active_health_check</c> are left alone.
    /// </summary>
    public void AddHost(EndpointState host, bool warming)
    {
        if (_disposed || host.Config.DisableActiveHealthCheck || _sessions.ContainsKey(host))
        {
            return;
        }

        if (!warming)
        {
            _owner.ApplyFlags(host, HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc, HealthFlags.None, "active_hc", "added: no traffic until the first health check passes", recompute: false);
        }

        var session = new HealthCheckSession(this, host, CreateProbe(host), warming);
        _sessions[host] = session;
        session.Schedule(HealthCheckIntervals.InitialDelay(Config, _services.NextRandom));
        UpdateGauges();
    }

    public void RemoveHost(EndpointState host)
    {
        if (_sessions.Remove(host, out var session))
        {
            session.Dispose();
            UpdateGauges();
        }
    }

    /// <summary>Completes when every host checked right now has had its first result.</summary>
    public Task WhenFirstRoundCompleteAsync()
    {
        lock (_owner.SyncRoot)
        {
            return Task.WhenAll(_sessions.Values.Select(s => s.FirstResult));
        }
    }

    /// <summary>Stops every session and clears the flags this checker owns from <paramref name="hosts"/> (check removed).</summary>
    public void Stop(IEnumerable<EndpointState>? clearFlagsOf)
    {
        Dispose();
        if (clearFlagsOf is not null)
        {
            foreach (var host in clearFlagsOf)
            {
                _owner.ApplyFlags(host, HealthFlags.None, ActiveHealthPolicy.ActiveFlags, "active_hc", "health check removed from the cluster", recompute: false);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }

        _sessions.Clear();
        _tls?.Dispose();
        Log.Stopped(_logger, _clusterConfig.Name);
    }

    /// <summary>Applies one check result (from a pool thread) and schedules the host's next check.</summary>
    internal void OnResult(HealthCheckSession session, ProbeResult result, TimeSpan latency)
    {
        EndpointState? failedHost = null;
        var closeConnections = true;
        lock (_owner.SyncRoot)
        {
            if (_disposed || session.IsStopped)
            {
                return;
            }

            var host = session.Host;
            var now = _services.Time.GetUtcNow();
            var record = new HealthCheckRecord(now, result.Succeeded, result.Succeeded ? null : result.FailureType, latency, result.Reason, result.StatusCode);
            HostHealthInfo.For(host).RecordCheck(record);

            // A readiness check that got an answer (an apiserver in its shutdown delay answers /readyz 503 and still
            // serves) drains the host; checks that get none (refused, timed out) take it down: at once for a host that
            // was serving (Envoy's thresholds then apply as for any failure), and for a draining one after
            // unhealthy_threshold of them in a row, so one check timed out on a busy machine does not cut the watches
            // the apiserver is still serving. Set before the flags change, so whoever sees the host fail also sees
            // which.
            var wasDraining = host.ReadinessDraining;
            var answered = result.Alive ?? result.StatusCode is not null;
            session.ConsecutiveUnanswered = result.Succeeded || answered ? 0 : session.ConsecutiveUnanswered + 1;
            host.ReadinessDraining = _clusterConfig.Kubegate.HealthCheckRole == HealthCheckRole.Readiness
                && !result.Succeeded
                && (answered || (wasDraining && session.ConsecutiveUnanswered < Math.Max(1, Config.UnhealthyThreshold)));
            var verdict = Apply(session, result, now);
            var next = HealthCheckIntervals.WithJitter(
                HealthCheckIntervals.Base(Config, _cluster.Stats.UpstreamCxTotal.Used, result.Succeeded, verdict.Transition), Config, _services.NextRandom);
            session.Schedule(next);
            UpdateGauges();
            if (verdict.BecameUnhealthy)
            {
                failedHost = host;
                closeConnections = !host.ReadinessDraining;
            }
            else if (wasDraining && !host.ReadinessDraining && host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc))
            {
                // Draining, then down (the apiserver stopped): what a liveness failure would have closed, close now.
                Log.HostDownAfterDraining(_logger, _clusterConfig.Name, host.AddressText, result.Reason ?? string.Empty);
                failedHost = host;
            }
            else if (!wasDraining && host.ReadinessDraining)
            {
                Log.HostDraining(_logger, _clusterConfig.Name, host.AddressText, result.Reason ?? string.Empty);
            }

            CheckCompleted?.Invoke(host, record);
        }

        // Outside the health lock: removing the host changes the cluster's membership, which comes back here
        // (RemoveHost), and closing connections is a request to the data path.
        if (failedHost is not null)
        {
            _owner.OnActiveCheckFailedHost(failedHost, closeConnections);
        }
    }

    private ActiveHealthVerdict Apply(HealthCheckSession session, ProbeResult result, DateTimeOffset now)
    {
        var host = session.Host;
        var counters = new ActiveHealthCounters(session.FirstCheck, session.Warming, session.ConsecutiveSuccesses, session.ConsecutiveFailures);
        var verdict = result.Succeeded
            ? ActiveHealthPolicy.OnSuccess(host.HealthFlags, counters, result, Config.HealthyThreshold)
            : ActiveHealthPolicy.OnFailure(host.HealthFlags, counters, result, Config.UnhealthyThreshold);
        _owner.ApplyFlags(host, verdict.Set, verdict.Clear, "active_hc", verdict.Reason);
        if (result.Succeeded)
        {
            Stats.Success.Increment();
            if (verdict.BecameHealthy)
            {
                Log.HostHealthy(_logger, _clusterConfig.Name, host.AddressText, verdict.Reason);
                _eventLog?.LogAddHealthy(CheckerType, host, _clusterConfig.Name, session.FirstCheck, now);
            }

            if (Config.AlwaysLogHealthCheckSuccess)
            {
                _eventLog?.LogSuccess(CheckerType, host, _clusterConfig.Name, now);
            }
        }
        else
        {
            Stats.Failure.Increment();
            if (result.FailureType is HealthCheckFailureType.Network or HealthCheckFailureType.NetworkTimeout)
            {
                Stats.NetworkFailure.Increment();
            }
            else if (result.FailureType == HealthCheckFailureType.Passive)
            {
                Stats.PassiveFailure.Increment();
            }

            // A host's first check is a warning when it fails: a host that never passes makes no unhealthy transition
            // to log (it starts unhealthy), and the operator must still learn why it takes no traffic.
            var typeName = HealthEventLog.FailureTypeName(result.FailureType);
            var level = Config.AlwaysLogHealthCheckFailures || session.FirstCheck ? LogLevel.Warning : LogLevel.Debug;
            Log.CheckFailed(_logger, level, _clusterConfig.Name, host.AddressText, typeName, result.Reason ?? string.Empty);
            if (verdict.BecameUnhealthy)
            {
                Log.HostUnhealthy(_logger, _clusterConfig.Name, host.AddressText, verdict.Reason);
                _eventLog?.LogEjectUnhealthy(CheckerType, host, _clusterConfig.Name, result.FailureType, now);
            }

            if (session.FirstCheck || Config.AlwaysLogHealthCheckFailures)
            {
                _eventLog?.LogFailure(CheckerType, host, _clusterConfig.Name, result.FailureType, session.FirstCheck, now);
            }
        }

        session.FirstCheck = verdict.Counters.FirstCheck;
        session.Warming = verdict.Counters.Warming;
        session.ConsecutiveSuccesses = verdict.Counters.ConsecutiveSuccesses;
        session.ConsecutiveFailures = verdict.Counters.ConsecutiveFailures;
        if (result.Succeeded)
        {
            _owner.OnActiveCheckPassed(host);
        }

        return verdict;
    }

    private HealthProbe CreateProbe(EndpointState host)
    {
        if (_services.ProbeFactory is { } factory)
        {
            return factory(_clusterConfig, Config, host);
        }

        return Config.Http is { } http
            ? new HttpHealthProbe(_clusterConfig.Name, Config, http, host, _tls, _tlsError, _clusterConfig.Kubegate.HealthCheckRole == HealthCheckRole.Readiness ? _clusterConfig.Kubegate.LivenessPath : null)
            : new TcpHealthProbe(Config.Tcp ?? new TcpHealthCheckConfig(), host, _tls, _tlsError);
    }

    private void UpdateGauges()
    {
        long healthy = 0;
        long degraded = 0;
        foreach (var host in _sessions.Keys)
        {
            var flags = host.HealthFlags;
            if (!flags.HasFlag(HealthFlags.FailedActiveHc))
            {
                healthy++;
                if (flags.HasFlag(HealthFlags.DegradedActiveHc))
                {
                    degraded++;
                }
            }
        }

        Stats.Healthy.Set(healthy);
        Stats.Degraded.Set(degraded);
    }
}
