using System.Collections.Concurrent;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health.Outlier;

/// <summary>
/// Outlier detection of one cluster, as Envoy does it for a TCP proxy (<c>outlier_detection_impl.cc</c>): proxied
/// connections report their connect result per host; consecutive failures eject the host for
/// <c>base_ejection_time × backoff</c> (at most <c>max_ejection_time</c>, plus jitter); an <c>interval</c> timer
/// un-ejects hosts whose time is over.
/// </summary>
/// <remarks>
/// <para>
/// With <c>split_external_local_origin_errors</c> off (the default) a failed connect counts as HTTP 503 and a
/// timed-out one as 504: both are gateway failures (<c>consecutive_gateway_failure</c>, enforced 0 % by default) and
/// 5xx (<c>consecutive_5xx</c>); a successful connect (200) resets both counters. With it on, failures count only
/// toward <c>consecutive_local_origin_failure</c>. A detector fires when a counter reaches its threshold exactly (a
/// host that is already ejected keeps counting past it, as in Envoy).
/// </para>
/// <para>
/// The cap: a host is ejected only if <c>100 × (ejected + 1) / hosts ≤ max_ejection_percent</c>, or
/// <c>always_eject_one_host</c> is set and none is ejected; otherwise <c>ejections_overflow</c> counts it. Then the
/// <c>enforcing_*</c> percentage is drawn. Success-rate and failure-percentage detection are not implemented:
/// their stats exist (always 0).
/// </para>
/// </remarks>
internal sealed partial class OutlierDetector : IDisposable
{
    private readonly ClusterHealth _owner;
    private readonly HealthServices _services;
    private readonly ILogger _logger;
    private readonly string _clusterName;
    private readonly ConcurrentDictionary<EndpointState, OutlierHostMonitor> _monitors = new();
    private readonly ITimer _timer;
    private int _ejectionsActive;
    private bool _disposed;

    public OutlierDetector(ClusterHealth owner, ClusterConfig clusterConfig, OutlierDetectionConfig config, HealthServices services)
    {
        _owner = owner;
        _services = services;
        _logger = services.Logger;
        _clusterName = clusterConfig.Name;
        Config = config;
        ObservabilityName = clusterConfig.ObservabilityName;
        Stats = new OutlierDetectionStats(services.Stats, clusterConfig.ObservabilityName);
        Stats.EjectionsActive.Set(0);
        _timer = services.Time.CreateTimer(static s => ((OutlierDetector)s!).OnIntervalTimer(), this, config.Interval, config.Interval);
    }

    public OutlierDetectionConfig Config { get; }

    public string ObservabilityName { get; }

    public OutlierDetectionStats Stats { get; }

    /// <summary>Hosts ejected right now.</summary>
    public int EjectionsActive => Volatile.Read(ref _ejectionsActive);

    public OutlierHostMonitor? GetMonitor(EndpointState host) => _monitors.TryGetValue(host, out var monitor) ? monitor : null;

    /// <summary>Starts watching <paramref name="host"/> (under the health lock).</summary>
    public void AddHost(EndpointState host) => _monitors.TryAdd(host, new OutlierHostMonitor(host));

    /// <summary>Forgets <paramref name="host"/>; an ejected host leaves <c>ejections_active</c> (under the health lock).</summary>
    public void RemoveHost(EndpointState host)
    {
        if (_monitors.TryRemove(host, out var monitor) && monitor.Ejected)
        {
            monitor.Ejected = false;
            SetEjectionsActive(_ejectionsActive - 1);
        }
    }

    /// <summary>
    /// A proxied connection's connect result: the only call on the data path. Counters only; the lock is taken only
    /// when a counter reaches its threshold.
    /// </summary>
    public void OnConnectResult(EndpointState host, UpstreamConnectResult result)
    {
        if (!_monitors.TryGetValue(host, out var monitor))
        {
            return;
        }

        var config = Config;
        if (!config.SplitExternalLocalOriginErrors)
        {
            if (result == UpstreamConnectResult.Success)
            {
                monitor.Reset5xx();
                monitor.ResetGatewayFailure();
                return;
            }

            // 503 (connect failed) and 504 (timed out) are both gateway errors, and both 5xx.
            if (monitor.IncrementGatewayFailure() == config.ConsecutiveGatewayFailure)
            {
                OnConsecutiveErrors(monitor, OutlierEjectionType.ConsecutiveGatewayFailure);
            }

            if (monitor.Increment5xx() == config.Consecutive5xx)
            {
                OnConsecutiveErrors(monitor, OutlierEjectionType.Consecutive5xx);
            }
        }
        else if (result == UpstreamConnectResult.Success)
        {
            monitor.ResetLocalOriginFailure();
        }
        else if (monitor.IncrementLocalOriginFailure() == config.ConsecutiveLocalOriginFailure)
        {
            OnConsecutiveErrors(monitor, OutlierEjectionType.ConsecutiveLocalOriginFailure);
        }
    }

    /// <summary>
    /// An active health check of <paramref name="host"/> passed and the host is healthy by it: un-eject now
    /// (<c>successful_active_health_check_uneject_host</c>, default true). Under the health lock.
    /// </summary>
    public void OnActiveCheckPassed(EndpointState host)
    {
        if (Config.SuccessfulActiveHealthCheckUnejectHost && _monitors.TryGetValue(host, out var monitor) && monitor.Ejected)
        {
            Uneject(monitor, "active health check passed");
        }
    }

    /// <summary>The <c>interval</c> sweep: un-ejects hosts whose ejection time is over, decays the backoff of the others.</summary>
    public void OnIntervalTimer()
    {
        lock (_owner.SyncRoot)
        {
            if (_disposed)
            {
                return;
            }

            var now = _services.Time.GetTimestamp();
            foreach (var monitor in _monitors.Values)
            {
                if (!monitor.Ejected)
                {
                    if (monitor.EjectTimeBackoff > 0)
                    {
                        monitor.EjectTimeBackoff--;
                    }

                    continue;
                }

                if (_services.Time.GetElapsedTime(monitor.LastEjectionTimestamp, now) >= EjectionDuration(monitor))
                {
                    Uneject(monitor, "ejection time over");
                }
            }
        }
    }

    /// <summary>Stops the timer; with <paramref name="clearEjections"/> un-flags the hosts it ejected (detector removed or replaced).</summary>
    public void Stop(bool clearEjections)
    {
        Dispose();
        if (clearEjections)
        {
            foreach (var monitor in _monitors.Values.Where(m => m.Ejected))
            {
                monitor.Ejected = false;
                _owner.ApplyFlags(monitor.Host, HealthFlags.None, HealthFlags.FailedOutlierCheck, "outlier", "outlier detection reconfigured", recompute: false);
            }

            SetEjectionsActive(0);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
    }

    /// <summary>How long the current ejection of <paramref name="monitor"/> lasts.</summary>
    internal TimeSpan EjectionDuration(OutlierHostMonitor monitor) =>
        OutlierEjectionPolicy.EjectionDuration(Config, monitor.EjectTimeBackoff, monitor.Jitter);

    private void OnConsecutiveErrors(OutlierHostMonitor monitor, OutlierEjectionType type)
    {
        lock (_owner.SyncRoot)
        {
            // The host may have left the cluster, or be ejected already (then its counter is left running, as Envoy does).
            if (_disposed || !_monitors.TryGetValue(monitor.Host, out var current) || current != monitor || monitor.Ejected)
            {
                return;
            }

            switch (type)
            {
                case OutlierEjectionType.Consecutive5xx:
                    Stats.EjectionsDetectedConsecutive5xx.Increment();
                    Stats.EjectionsConsecutive5xx.Increment();
                    break;
                case OutlierEjectionType.ConsecutiveGatewayFailure:
                    Stats.EjectionsDetectedConsecutiveGatewayFailure.Increment();
                    break;
                default:
                    Stats.EjectionsDetectedConsecutiveLocalOriginFailure.Increment();
                    break;
            }

            Eject(monitor, type);

            // Reset the counter that fired, so a new bout of errors is detected even without a success in between.
            switch (type)
            {
                case OutlierEjectionType.Consecutive5xx:
                    monitor.Reset5xx();
                    break;
                case OutlierEjectionType.ConsecutiveGatewayFailure:
                    monitor.ResetGatewayFailure();
                    break;
                default:
                    monitor.ResetLocalOriginFailure();
                    break;
            }
        }
    }

    private void Eject(OutlierHostMonitor monitor, OutlierEjectionType type)
    {
        var host = monitor.Host;
        var typeName = TypeName(type);
        if (!OutlierEjectionPolicy.MayEject(Config, _ejectionsActive, _monitors.Count))
        {
            Stats.EjectionsOverflow.Increment();
            Log.EjectionOverflow(_logger, _clusterName, host.AddressText, typeName, _ejectionsActive, _monitors.Count, Math.Min(100u, Config.MaxEjectionPercent));
            return;
        }

        if (type == OutlierEjectionType.Consecutive5xx)
        {
            Stats.EjectionsTotal.Increment();
        }

        var enforcing = OutlierEjectionPolicy.Enforcing(Config, type);
        if (_services.NextRandom(100) >= enforcing)
        {
            Log.EjectionNotEnforced(_logger, _clusterName, host.AddressText, typeName, enforcing);
            return;
        }

        SetEjectionsActive(_ejectionsActive + 1);
        Stats.EjectionsEnforcedTotal.Increment();
        (type switch
        {
            OutlierEjectionType.Consecutive5xx => Stats.EjectionsEnforcedConsecutive5xx,
            OutlierEjectionType.ConsecutiveGatewayFailure => Stats.EjectionsEnforcedConsecutiveGatewayFailure,
            _ => Stats.EjectionsEnforcedConsecutiveLocalOriginFailure,
        }).Increment();

        monitor.Ejected = true;
        monitor.NumEjections++;
        monitor.LastEjectionTimestamp = _services.Time.GetTimestamp();
        monitor.LastEjectionTime = _services.Time.GetUtcNow();
        monitor.Jitter = TimeSpan.FromMilliseconds(_services.NextRandom((long)Config.MaxEjectionTimeJitter.TotalMilliseconds + 1));
        if (OutlierEjectionPolicy.RaisesBackoff(Config, monitor.EjectTimeBackoff))
        {
            monitor.EjectTimeBackoff++;
        }

        var duration = EjectionDuration(monitor);
        var reason = $"ejected ({typeName}) for {duration.TotalSeconds:0.###} s, ejection #{monitor.NumEjections}";
        _owner.ApplyFlags(host, HealthFlags.FailedOutlierCheck, HealthFlags.None, "outlier", reason);
        Log.HostEjected(_logger, _clusterName, host.AddressText, typeName, duration.TotalSeconds, monitor.NumEjections);
    }

    private void Uneject(OutlierHostMonitor monitor, string reason)
    {
        monitor.Ejected = false;
        monitor.ResetAll();
        monitor.LastUnejectionTime = _services.Time.GetUtcNow();
        SetEjectionsActive(_ejectionsActive - 1);
        _owner.ApplyFlags(monitor.Host, HealthFlags.None, HealthFlags.FailedOutlierCheck, "outlier", "un-ejected: " + reason);
        Log.HostUnejected(_logger, _clusterName, monitor.Host.AddressText, reason);
    }

    private void SetEjectionsActive(int value)
    {
        Volatile.Write(ref _ejectionsActive, Math.Max(0, value));
        Stats.EjectionsActive.Set(_ejectionsActive);
    }

    private static string TypeName(OutlierEjectionType type) => type switch
    {
        OutlierEjectionType.Consecutive5xx => "consecutive_5xx",
        OutlierEjectionType.ConsecutiveGatewayFailure => "consecutive_gateway_failure",
        _ => "consecutive_local_origin_failure",
    };
}
