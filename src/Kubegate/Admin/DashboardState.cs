using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
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
/// <c>/dashboard/state</c>: everything the web dashboard and <c>kubegate status</c> show, in one JSON document built
/// with <see cref="Utf8JsonWriter"/> (AOT-safe). Times are ISO 8601 UTC; <c>server.now</c> lets clients show ages
/// without trusting their own clock.
/// </summary>
internal static class DashboardState
{
    /// <summary>How many of a host's recent health changes are included, newest first.</summary>
    public const int MaxChanges = 10;

    public static string FormatJson(
        DashboardServerInfo server,
        IEnumerable<DashboardListener> listeners,
        IEnumerable<ClusterState> clusters,
        StatsStore stats,
        ConfigSnapshot? snapshot,
        IReadOnlyList<ReloadStatusEntry>? reloads = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("server");
            json.WriteString("version", server.Version);
            json.WriteString("state", server.State.ToEnvoyName());
            json.WriteNumber("uptime_seconds", (long)server.Uptime.TotalSeconds);
            WriteTime(json, "now", server.Now);
            json.WriteEndObject();

            json.WriteStartArray("listeners");
            foreach (var listener in listeners)
            {
                json.WriteStartObject();
                json.WriteString("name", listener.Name);
                json.WriteString("address", listener.Address);
                json.WriteString("cluster", listener.Cluster);
                json.WriteNumber("active_connections", listener.ActiveConnections);
                json.WriteNumber("total_connections", listener.TotalConnections);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("clusters");
            foreach (var cluster in clusters)
            {
                WriteCluster(json, cluster, stats);
            }

            json.WriteEndArray();

            json.WriteStartObject("config");
            json.WriteString("path", snapshot?.Bootstrap.Path ?? string.Empty);
            json.WriteStartArray("files");
            if (snapshot is not null)
            {
                foreach (var (file, version) in snapshot.VersionInfo.OrderBy(v => v.Key, StringComparer.Ordinal))
                {
                    json.WriteStartObject();
                    json.WriteString("file", file);
                    json.WriteString("version_info", version);
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();
            json.WriteStartArray("reloads");
            foreach (var reload in reloads ?? [])
            {
                json.WriteStartObject();
                json.WriteString("subscription", reload.Subscription);
                json.WriteString("file", reload.File);
                json.WriteString("outcome", reload.Outcome.ToString().ToLowerInvariant());
                json.WriteString("at", reload.At.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteString("version_info", reload.VersionInfo);
                json.WriteString("problem", reload.Problem);
                json.WriteNumber("problems", reload.ProblemCount);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

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

    private static void WriteCluster(Utf8JsonWriter json, ClusterState cluster, StatsStore stats)
    {
        var config = cluster.Config;
        var hosts = cluster.AllHosts.Hosts;
        json.WriteStartObject();
        json.WriteString("name", config.Name);
        json.WriteBoolean("panic", cluster.InPanic);
        json.WriteNumber("healthy", hosts.Count(h => StateOf(h.HealthFlags) == "healthy"));
        json.WriteNumber("total", hosts.Length);
        json.WriteString("lb_policy", LbPolicyName(config.LbPolicy));
        json.WriteNumber("active_connections", cluster.Stats.UpstreamCxActive.Value);
        json.WriteNumber("total_connections", cluster.Stats.UpstreamCxTotal.Value);
        json.WriteNumber("rx_bytes", cluster.Stats.UpstreamCxRxBytesTotal.Value);
        json.WriteNumber("tx_bytes", cluster.Stats.UpstreamCxTxBytesTotal.Value);
        json.WriteNumber("connect_failures", cluster.Stats.UpstreamCxConnectFail.Value);
        json.WriteNumber("no_healthy_upstream", cluster.Stats.UpstreamCxNoneHealthy.Value);
        json.WriteNumber("membership_changes", stats.TryGetValue(cluster.Stats.MembershipChange.Name) ?? 0);
        json.WriteStartArray("endpoints");
        foreach (var host in hosts.OrderBy(h => h.Config.Priority))
        {
            WriteEndpoint(json, cluster, host);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteEndpoint(Utf8JsonWriter json, ClusterState cluster, EndpointState host)
    {
        var flags = host.HealthFlags;
        var state = StateOf(flags);
        var info = HostHealthInfo.TryGet(host);
        var lastCheck = info?.LastCheck;
        var changes = info?.Changes ?? [];

        json.WriteStartObject();
        json.WriteString("address", host.AddressText);
        if (!string.IsNullOrEmpty(host.Config.Hostname))
        {
            json.WriteString("hostname", host.Config.Hostname);
        }

        json.WriteString("state", state);
        var reason = Reason(state, flags, lastCheck, changes);
        if (reason is null)
        {
            json.WriteNull("reason");
        }
        else
        {
            json.WriteString("reason", reason);
        }

        if (state == "ejected"
            && cluster.Health?.OutlierDetector is { } detector
            && detector.GetMonitor(host) is { Ejected: true, LastEjectionTime: { } ejectedAt } monitor)
        {
            WriteTime(json, "ejected_until", ejectedAt + detector.EjectionDuration(monitor));
        }

        json.WriteString("health_flags", ClustersFormatter.HealthFlagsText(flags));
        json.WriteNumber("weight", host.Weight);
        json.WriteNumber("priority", host.Config.Priority);
        json.WriteNumber("active_connections", host.CxActive);
        json.WriteNumber("total_connections", host.CxTotal);
        json.WriteNumber("connect_failures", host.CxConnectFail);

        if (lastCheck is null)
        {
            json.WriteNull("last_check");
        }
        else
        {
            json.WriteStartObject("last_check");
            WriteTime(json, "time", lastCheck.Time);
            json.WriteBoolean("succeeded", lastCheck.Succeeded);
            json.WriteNumber("latency_ms", Math.Round(lastCheck.Latency.TotalMilliseconds, 1));
            json.WriteString("result", CheckResult(lastCheck));
            json.WriteEndObject();
        }

        if (info?.CertificateNotAfter is { } notAfter)
        {
            WriteTime(json, "certificate_not_after", notAfter);
        }

        json.WriteStartArray("changes");
        for (var i = changes.Count - 1; i >= 0 && i >= changes.Count - MaxChanges; i--)
        {
            var change = changes[i];
            json.WriteStartObject();
            WriteTime(json, "time", change.Time);
            json.WriteString("source", change.Source);
            json.WriteString("from", StateOf(change.Before));
            json.WriteString("to", StateOf(change.After));
            json.WriteString("reason", change.Reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
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

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset time) =>
        json.WriteString(name, time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
}
