using System.Globalization;
using System.Text.Json;
using Kubegate.Admin.DashboardModel;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Configuration.Watching;
using Kubegate.Health;
using Kubegate.Stats;

namespace Kubegate.Admin;

/// <summary>The server-wide part of <c>/dashboard/state</c>.</summary>
internal sealed record DashboardServerInfo(string Version, ServerState State, TimeSpan Uptime, DateTimeOffset Now);

/// <summary>A listener as the dashboard shows it.</summary>
internal sealed record DashboardListener(string Name, string Address, string Cluster, long ActiveConnections, long TotalConnections);

/// <summary>
/// <c>/dashboard/state</c>: everything the web dashboard and <c>kubegate status</c> show, as one
/// <see cref="DashboardDocument"/> written through <see cref="DashboardJsonContext"/> (source-generated, AOT-safe).
/// Times are ISO 8601 UTC; <c>server.now</c> lets clients show ages without trusting their own clock.
/// </summary>
internal static class DashboardState
{
    /// <summary>How many of a host's recent health changes are included, newest first.</summary>
    public const int MaxChanges = 10;

    /// <summary>The document as JSON, through the one serializer context.</summary>
    public static string FormatJson(DashboardDocument document) =>
        JsonSerializer.Serialize(document, DashboardJsonContext.Default.DashboardDocument);

    /// <summary>The dashboard document of the running server.</summary>
    public static DashboardDocument Build(
        DashboardServerInfo server,
        IEnumerable<DashboardListener> listeners,
        IEnumerable<ClusterState> clusters,
        StatsStore stats,
        ConfigSnapshot? snapshot,
        IReadOnlyList<ReloadStatusEntry>? reloads = null) =>
        new(
            new DashboardServer(server.Version, server.State.ToEnvoyName(), (long)server.Uptime.TotalSeconds, Time(server.Now)),
            [.. listeners.Select(l => new DashboardListenerRow(l.Name, l.Address, l.Cluster, l.ActiveConnections, l.TotalConnections))],
            [.. clusters.Select(c => Cluster(c, stats))],
            new DashboardConfig(
                snapshot?.Bootstrap.Path ?? string.Empty,
                snapshot is null ? [] : [.. snapshot.VersionInfo.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => new DashboardFile(v.Key, v.Value))],
                [.. (reloads ?? []).Select(r => new DashboardReload(
                    r.Subscription,
                    r.File,
                    r.Outcome.ToString().ToLowerInvariant(),
                    r.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                    r.VersionInfo,
                    r.Problem,
                    r.ProblemCount))]));

    /// <summary>
    /// One word for a host: <c>healthy</c>, <c>failing</c> (active check, EDS), <c>ejected</c> (outlier detection),
    /// <c>degraded</c> or <c>pending</c> (no active check finished yet). Removal and draining flags alone leave it healthy
    /// or degraded: the host still serves.
    /// </summary>
    public static string StateOf(HealthFlags flags)
    {
        if (flags.HasFlag(HealthFlags.PendingActiveHc))
        {
            return "pending";
        }

        if ((flags & (HealthFlags.FailedActiveHc | HealthFlags.ActiveHcTimeout | HealthFlags.FailedEdsHealth | HealthFlags.ExcludedViaImmediateHcFail)) != 0)
        {
            return "failing";
        }

        if (flags.HasFlag(HealthFlags.FailedOutlierCheck))
        {
            return "ejected";
        }

        return (flags & (HealthFlags.DegradedActiveHc | HealthFlags.DegradedEdsHealth | HealthFlags.EdsStatusDraining)) != 0 ? "degraded" : "healthy";
    }

    /// <summary><c>ROUND_ROBIN</c> style, as in the config files.</summary>
    public static string LbPolicyName(LbPolicy policy) => policy switch
    {
        LbPolicy.LeastRequest => "LEAST_REQUEST",
        LbPolicy.Random => "RANDOM",
        _ => "ROUND_ROBIN",
    };

    private static DashboardCluster Cluster(ClusterState cluster, StatsStore stats)
    {
        var config = cluster.Config;
        var hosts = cluster.AllHosts.Hosts;
        return new DashboardCluster(
            config.Name,
            cluster.InPanic,
            hosts.Count(h => StateOf(h.HealthFlags) == "healthy"),
            hosts.Length,
            LbPolicyName(config.LbPolicy),
            cluster.Stats.UpstreamCxActive.Value,
            cluster.Stats.UpstreamCxTotal.Value,
            cluster.Stats.UpstreamCxRxBytesTotal.Value,
            cluster.Stats.UpstreamCxTxBytesTotal.Value,
            cluster.Stats.UpstreamCxConnectFail.Value,
            cluster.Stats.UpstreamCxNoneHealthy.Value,
            config.MaxConnections,
            cluster.Stats.UpstreamCxOverflow.Value,
            stats.TryGetValue(cluster.Stats.MembershipChange.Name) ?? 0,
            [.. hosts.OrderBy(h => h.Config.Priority).Select(h => Endpoint(cluster, h))]);
    }

    private static DashboardEndpoint Endpoint(ClusterState cluster, EndpointState host)
    {
        var flags = host.HealthFlags;
        var state = StateOf(flags);
        var info = HostHealthInfo.TryGet(host);
        var lastCheck = info?.LastCheck;
        var changes = info?.Changes ?? [];
        string? ejectedUntil = null;
        if (state == "ejected"
            && cluster.Health?.OutlierDetector is { } detector
            && detector.GetMonitor(host) is { Ejected: true, LastEjectionTime: { } ejectedAt } monitor)
        {
            ejectedUntil = Time(ejectedAt + detector.EjectionDuration(monitor));
        }

        var recent = new List<DashboardChange>();
        for (var i = changes.Count - 1; i >= 0 && i >= changes.Count - MaxChanges; i--)
        {
            var change = changes[i];
            recent.Add(new DashboardChange(Time(change.Time), change.Source, StateOf(change.Before), StateOf(change.After), change.Reason));
        }

        return new DashboardEndpoint(
            host.AddressText,
            string.IsNullOrEmpty(host.Config.Hostname) ? null : host.Config.Hostname,
            state,
            Reason(state, flags, lastCheck, changes),
            ejectedUntil,
            ClustersFormatter.HealthFlagsText(flags),
            host.Weight,
            host.Config.Priority,
            host.CxActive,
            host.CxTotal,
            host.CxConnectFail,
            lastCheck is null ? null : new DashboardCheck(Time(lastCheck.Time), lastCheck.Succeeded, Math.Round(lastCheck.Latency.TotalMilliseconds, 1), CheckResult(lastCheck)),
            info?.CertificateNotAfter is { } notAfter ? Time(notAfter) : null,
            recent,
            ClustersFormatter.ServingStateName(host.ServingState),
            AdminHandlers.MaintenanceName(host.Maintenance),
            SlowStartPercent(cluster, host));
    }

    /// <summary>The host's slow-start weight in percent of its weight while it ramps up; null otherwise.</summary>
    private static double? SlowStartPercent(ClusterState cluster, EndpointState host)
    {
        if (cluster.Config.SlowStart is not { } slowStart || host.AvailableSince == long.MinValue || host.ServingState != ServingState.Up)
        {
            return null;
        }

        var age = cluster.Time.GetElapsedTime(host.AvailableSince);
        return age >= slowStart.Window ? null : Math.Round(slowStart.Factor(age) * 100, 1);
    }

    private static string? Reason(string state, HealthFlags flags, HealthCheckRecord? lastCheck, IReadOnlyList<HealthChange> changes)
    {
        if (state == "healthy")
        {
            return null;
        }

        if (state == "pending")
        {
            return "waiting for the first health check";
        }

        if (flags.HasFlag(HealthFlags.FailedEdsHealth) && !flags.HasFlag(HealthFlags.FailedActiveHc))
        {
            return "EDS health status UNHEALTHY";
        }

        if (state == "failing" && lastCheck is { Succeeded: false })
        {
            return CheckResult(lastCheck);
        }

        return changes.Count > 0 ? changes[^1].Reason : ClustersFormatter.HealthFlagsText(flags);
    }

    private static string CheckResult(HealthCheckRecord check)
    {
        if (check.Succeeded)
        {
            return check.StatusCode is { } ok ? "HTTP " + ok.ToString(CultureInfo.InvariantCulture) : "ok";
        }

        if (!string.IsNullOrEmpty(check.Reason))
        {
            return check.Reason;
        }

        return check.StatusCode is { } status ? "HTTP " + status.ToString(CultureInfo.InvariantCulture)
            : check.FailureType is { } type ? HealthEventLog.FailureTypeName(type)
            : "failed";
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
