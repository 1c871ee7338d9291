using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health.Active;

/// <summary>
/// The active health check of one cluster (its one <c>health_checks</c> entry): a session per host and Envoy's
/// state machine (<c>handleSuccess</c>/<c>handleFailure</c> in <c>health_checker_base_impl.cc</c>). Results become
/// flag changes through <see cref="ClusterHealth"/>, which rebuilds the cluster's available hosts.
/// </summary>
/// <remarks>
/// State machine: a new host starts <c>FAILED_ACTIVE_HC</c> (+<c>PENDING_ACTIVE_HC</c>); its first passed check makes
/// it healthy at once, later recoveries need <c>healthy_threshold</c> passes in a row. NETWORK and NETWORK_TIMEOUT
/// failures, and HTTP <c>retriable_statuses</c>, count toward <c>unhealthy_threshold</c>; any other unexpected
/// answer (ACTIVE) fails a healthy host at once. A pass resets the failure count and a failure the pass count.
/// Everything here runs under the cluster's lock.
/// </remarks>
internal sealed partial class ActiveHealthChecker : IDisposable
{
    private const HealthFlags ActiveFlags = HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc | HealthFlags.ActiveHcTimeout
        | HealthFlags.DegradedActiveHc | HealthFlags.ExcludedViaImmediateHcFail;

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
    /// Raised after each check result was applied (under the cluster lock; handlers must be quick). For live views
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

    /// <summary>The hosts being checked and their counters (a copy; read under the cluster lock).</summary>
    public IReadOnlyList<HealthCheckSession> Sessions
    {
        get
        {
            lock (_cluster.SyncRoot)
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
        lock (_cluster.SyncRoot)
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
                _owner.ApplyFlags(host, HealthFlags.None, ActiveFlags, "active_hc", "health check removed from the cluster", recompute: false);
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
        lock (_cluster.SyncRoot)
        {
            if (_disposed || session.IsStopped)
            {
                return;
            }

            var host = session.Host;
            var now = _services.Time.GetUtcNow();
            var record = new HealthCheckRecord(now, result.Succeeded, result.Succeeded ? null : result.FailureType, latency, result.Reason, result.StatusCode);
            HostHealthInfo.For(host).RecordCheck(record);
            var transition = result.Succeeded ? HandleSuccess(session, result, now) : HandleFailure(session, result, now);
            var next = HealthCheckIntervals.WithJitter(
                HealthCheckIntervals.Base(Config, _cluster.Stats.UpstreamCxTotal.Used, result.Succeeded, transition), Config, _services.NextRandom);
            session.Schedule(next);
            UpdateGauges();
            CheckCompleted?.Invoke(host, record);
        }
    }

    private HealthTransition HandleSuccess(HealthCheckSession session, ProbeResult result, DateTimeOffset now)
    {
        var host = session.Host;
        var flags = host.HealthFlags;
        var transition = HealthTransition.Unchanged;
        var set = HealthFlags.None;
        var clear = HealthFlags.None;
        var reason = "health check passed: " + result.Reason;
        var becameHealthy = false;
        session.ConsecutiveFailures = 0;
        if (flags.HasFlag(HealthFlags.FailedActiveHc))
        {
            if (session.FirstCheck || ++session.ConsecutiveSuccesses >= Config.HealthyThreshold)
            {
                clear |= HealthFlags.FailedActiveHc | HealthFlags.ActiveHcTimeout | HealthFlags.ExcludedViaImmediateHcFail;
                transition = HealthTransition.Changed;
                becameHealthy = true;
                reason = session.FirstCheck
                    ? $"first health check passed ({result.Reason})"
                    : $"{session.ConsecutiveSuccesses} health checks in a row passed ({result.Reason})";
                session.ConsecutiveSuccesses = 0;
            }
            else
            {
                transition = HealthTransition.ChangePending;
            }
        }

        if (flags.HasFlag(HealthFlags.PendingActiveHc))
        {
            // As Envoy's clearPendingFlag: leaving the pending state is a change even when health is not.
            clear |= HealthFlags.PendingActiveHc;
            transition = HealthTransition.Changed;
        }

        if (result.Degraded != flags.HasFlag(HealthFlags.DegradedActiveHc))
        {
            (result.Degraded ? ref set : ref clear) |= HealthFlags.DegradedActiveHc;
            transition = HealthTransition.Changed;
        }

        _owner.ApplyFlags(host, set, clear, "active_hc", reason);
        Stats.Success.Increment();
        if (becameHealthy)
        {
            Log.HostHealthy(_logger, _clusterConfig.Name, host.AddressText, reason);
            _eventLog?.LogAddHealthy(CheckerType, host, _clusterConfig.Name, session.FirstCheck, now);
        }

        if (Config.AlwaysLogHealthCheckSuccess)
        {
            _eventLog?.LogSuccess(CheckerType, host, _clusterConfig.Name, now);
        }

        session.FirstCheck = false;
        session.Warming = false;
        _owner.OnActiveCheckPassed(host);
        return transition;
    }

    private HealthTransition HandleFailure(HealthCheckSession session, ProbeResult result, DateTimeOffset now)
    {
        var host = session.Host;
        var flags = host.HealthFlags;
        var transition = HealthTransition.Unchanged;
        var set = HealthFlags.None;
        var clear = HealthFlags.None;
        var typeName = HealthEventLog.FailureTypeName(result.FailureType);
        var reason = $"health check failed ({typeName}): {result.Reason}";
        var becameUnhealthy = false;
        session.ConsecutiveSuccesses = 0;
        if (!flags.HasFlag(HealthFlags.FailedActiveHc))
        {
            var counted = result.FailureType is HealthCheckFailureType.Network or HealthCheckFailureType.NetworkTimeout || result.Retriable;
            if (session.Warming || result.ImmediateFail || !counted || ++session.ConsecutiveFailures >= Config.UnhealthyThreshold)
            {
                set |= HealthFlags.FailedActiveHc;
                transition = HealthTransition.Changed;
                becameUnhealthy = true;
                reason = counted && !session.Warming && !result.ImmediateFail
                    ? $"{session.ConsecutiveFailures} health checks in a row failed, last {typeName}: {result.Reason}"
                    : $"health check failed ({typeName}): {result.Reason}";
            }
            else
            {
                transition = HealthTransition.ChangePending;
            }
        }

        if (result.ImmediateFail)
        {
            set |= HealthFlags.ExcludedViaImmediateHcFail;
        }

        // As Envoy: the timeout flag marks a failed host whose last check timed out; it toggles with the failure type.
        if (result.FailureType == HealthCheckFailureType.NetworkTimeout && (flags | set).HasFlag(HealthFlags.FailedActiveHc))
        {
            set |= HealthFlags.ActiveHcTimeout;
        }
        else
        {
            clear |= HealthFlags.ActiveHcTimeout;
        }

        if (flags.HasFlag(HealthFlags.PendingActiveHc))
        {
            clear |= HealthFlags.PendingActiveHc;
            transition = HealthTransition.Changed;
        }

        _owner.ApplyFlags(host, set, clear, "active_hc", reason);
        Stats.Failure.Increment();
        if (result.FailureType is HealthCheckFailureType.Network or HealthCheckFailureType.NetworkTimeout)
        {
            Stats.NetworkFailure.Increment();
        }
        else if (result.FailureType == HealthCheckFailureType.Passive)
        {
            Stats.PassiveFailure.Increment();
        }

        // A host's first check is a warning when it fails: a host that never passes makes no unhealthy transition to
        // log (it starts unhealthy), and the operator must still learn why it takes no traffic.
        var level = Config.AlwaysLogHealthCheckFailures || session.FirstCheck ? LogLevel.Warning : LogLevel.Debug;
        Log.CheckFailed(_logger, level, _clusterConfig.Name, host.AddressText, typeName, result.Reason ?? string.Empty);
        if (becameUnhealthy)
        {
            Log.HostUnhealthy(_logger, _clusterConfig.Name, host.AddressText, reason);
            _eventLog?.LogEjectUnhealthy(CheckerType, host, _clusterConfig.Name, result.FailureType, now);
        }

        if (session.FirstCheck || Config.AlwaysLogHealthCheckFailures)
        {
            _eventLog?.LogFailure(CheckerType, host, _clusterConfig.Name, result.FailureType, session.FirstCheck, now);
        }

        session.FirstCheck = false;
        session.Warming = false;
        if (becameUnhealthy)
        {
            _owner.OnActiveCheckFailedHost(host);
        }

        return transition;
    }

    private HealthProbe CreateProbe(EndpointState host)
    {
        if (_services.ProbeFactory is { } factory)
        {
            return factory(_clusterConfig, Config, host);
        }

        return Config.Http is { } http
            ? new HttpHealthProbe(_clusterConfig.Name, Config, http, host, _tls, _tlsError)
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
