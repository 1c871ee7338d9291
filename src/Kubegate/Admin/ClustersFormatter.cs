using System.Buffers;
using System.Text;
using System.Text.Json;
using Kubegate.Clusters;

namespace Kubegate.Admin;

/// <summary>
/// <c>/clusters</c> in Envoy's text (one <c>::</c>-separated line per fact) and JSON (<c>envoy.admin.v3.Clusters</c>)
/// forms. Hosts come in priority, then assignment order. kubegate has no outlier success-rate ejection numbers, no
/// localities and no canaries, so those print Envoy's "not computed" values (-1, empty, false).
/// </summary>
internal static class ClustersFormatter
{
    // Envoy's circuit-breaker defaults; kubegate configures only default-priority max_connections.
    private const int DefaultLimit = 1024;
    private const int DefaultMaxRetries = 3;

    private static readonly (HealthFlags Flag, string Text)[] FlagNames =
    [
        (HealthFlags.FailedActiveHc, "/failed_active_hc"),
        (HealthFlags.FailedOutlierCheck, "/failed_outlier_check"),
        (HealthFlags.FailedEdsHealth, "/failed_eds_health"),
        (HealthFlags.DegradedActiveHc, "/degraded_active_hc"),
        (HealthFlags.DegradedEdsHealth, "/degraded_eds_health"),
        (HealthFlags.PendingDynamicRemoval, "/pending_dynamic_removal"),
        (HealthFlags.PendingActiveHc, "/pending_active_hc"),
        (HealthFlags.ExcludedViaImmediateHcFail, "/excluded_via_immediate_hc_fail"),
        (HealthFlags.ActiveHcTimeout, "/active_hc_timeout"),
        (HealthFlags.EdsStatusDraining, "/eds_status_draining"),
    ];

    /// <summary><c>healthy</c>, or the flags' names concatenated in Envoy's order (<c>/failed_active_hc/active_hc_timeout</c>).</summary>
    public static string HealthFlagsText(HealthFlags flags)
    {
        if (flags == HealthFlags.None)
        {
            return "healthy";
        }

        var text = new StringBuilder();
        foreach (var (flag, name) in FlagNames)
        {
            if (flags.HasFlag(flag))
            {
                text.Append(name);
            }
        }

        return text.ToString();
    }

    public static string FormatText(IEnumerable<ClusterView> clusters)
    {
        var text = new StringBuilder();
        foreach (var view in clusters)
        {
            var cluster = view.Cluster;
            var config = cluster.Config;
            var name = config.Name;
            Line(text, name, "observability_name", config.ObservabilityName);
            if (config.OutlierDetection is not null)
            {
                Line(text, name, "outlier::success_rate_average", "-1");
                Line(text, name, "outlier::success_rate_ejection_threshold", "-1");
                Line(text, name, "outlier::local_origin_success_rate_average", "-1");
                Line(text, name, "outlier::local_origin_success_rate_ejection_threshold", "-1");
            }

            AppendThresholds(text, name, "default_priority", config.MaxConnections);
            AppendThresholds(text, name, "high_priority", DefaultLimit);
            Line(text, name, "added_via_api", view.AddedViaApi ? "true" : "false");
            if (config.EdsServiceName is { } serviceName)
            {
                Line(text, name, "eds_service_name", serviceName);
            }

            foreach (var host in OrderedHosts(cluster))
            {
                var prefix = name + "::" + host.AddressText;
                Line(text, prefix, "cx_active", host.CxActive);
                Line(text, prefix, "cx_connect_fail", host.CxConnectFail);
                Line(text, prefix, "cx_total", host.CxTotal);
                Line(text, prefix, "rq_active", host.ActiveRequests);
                Line(text, prefix, "rq_error", host.RqError);
                Line(text, prefix, "rq_success", host.RqSuccess);
                Line(text, prefix, "rq_timeout", host.RqTimeout);
                Line(text, prefix, "rq_total", host.RqTotal);
                Line(text, prefix, "hostname", host.Config.Hostname ?? string.Empty);
                Line(text, prefix, "health_flags", HealthFlagsText(host.HealthFlags));
                Line(text, prefix, "weight", host.Weight);
                Line(text, prefix, "region", string.Empty);
                Line(text, prefix, "zone", string.Empty);
                Line(text, prefix, "sub_zone", string.Empty);
                Line(text, prefix, "canary", "false");
                Line(text, prefix, "priority", host.Config.Priority);
                Line(text, prefix, "success_rate", "-1");
                Line(text, prefix, "local_origin_success_rate", "-1");

                // kubegate's own, after Envoy's lines: what the host takes (UP, DRAINING, DISABLED, DOWN) and an
                // operator's maintenance state (enabled, drain, disable).
                Line(text, prefix, "kubegate_state", ServingStateName(host.ServingState));
                Line(text, prefix, "kubegate_maintenance", AdminHandlers.MaintenanceName(host.Maintenance));
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// <c>{"cluster_statuses":[…]}</c>, proto-JSON style: fields with default values are left out (false flags,
    /// empty hostnames, priority 0, success rates that were not computed).
    /// </summary>
    public static string FormatJson(IEnumerable<ClusterView> clusters)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("cluster_statuses");
            foreach (var view in clusters)
            {
                WriteCluster(json, view);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteCluster(Utf8JsonWriter json, ClusterView view)
    {
        var config = view.Cluster.Config;
        json.WriteStartObject();
        json.WriteString("name", config.Name);
        json.WriteString("observability_name", config.ObservabilityName);
        if (config.EdsServiceName is { } serviceName)
        {
            json.WriteString("eds_service_name", serviceName);
        }

        if (view.AddedViaApi)
        {
            json.WriteBoolean("added_via_api", true);
        }

        json.WriteStartObject("circuit_breakers");
        json.WriteStartArray("thresholds");
        WriteThreshold(json, null, config.MaxConnections);
        WriteThreshold(json, "HIGH", DefaultLimit);
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartArray("host_statuses");
        foreach (var host in OrderedHosts(view.Cluster))
        {
            WriteHost(json, host);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteThreshold(Utf8JsonWriter json, string? priority, int maxConnections)
    {
        json.WriteStartObject();
        if (priority is not null)
        {
            json.WriteString("priority", priority);
        }

        json.WriteNumber("max_connections", maxConnections);
        json.WriteNumber("max_pending_requests", DefaultLimit);
        json.WriteNumber("max_requests", DefaultLimit);
        json.WriteNumber("max_retries", DefaultMaxRetries);
        json.WriteEndObject();
    }

    private static void WriteHost(Utf8JsonWriter json, EndpointState host)
    {
        json.WriteStartObject();
        json.WriteStartObject("address");
        json.WriteStartObject("socket_address");
        json.WriteString("address", host.EndPoint.Address.ToString());
        json.WriteNumber("port_value", host.EndPoint.Port);
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteStartArray("stats");
        Stat(json, "cx_connect_fail", host.CxConnectFail, gauge: false);
        Stat(json, "cx_total", host.CxTotal, gauge: false);
        Stat(json, "rq_error", host.RqError, gauge: false);
        Stat(json, "rq_success", host.RqSuccess, gauge: false);
        Stat(json, "rq_timeout", host.RqTimeout, gauge: false);
        Stat(json, "rq_total", host.RqTotal, gauge: false);
        Stat(json, "cx_active", host.CxActive, gauge: true);
        Stat(json, "rq_active", host.ActiveRequests, gauge: true);
        json.WriteEndArray();

        var flags = host.HealthFlags;
        json.WriteStartObject("health_status");
        Flag(json, flags, HealthFlags.FailedActiveHc, "failed_active_health_check");
        Flag(json, flags, HealthFlags.FailedOutlierCheck, "failed_outlier_check");
        Flag(json, flags, HealthFlags.DegradedActiveHc, "failed_active_degraded_check");
        Flag(json, flags, HealthFlags.PendingDynamicRemoval, "pending_dynamic_removal");
        Flag(json, flags, HealthFlags.PendingActiveHc, "pending_active_hc");
        Flag(json, flags, HealthFlags.ExcludedViaImmediateHcFail, "excluded_via_immediate_hc_fail");
        Flag(json, flags, HealthFlags.ActiveHcTimeout, "active_hc_timeout");
        json.WriteString("eds_health_status", EdsHealthStatus(flags));
        json.WriteEndObject();

        json.WriteNumber("weight", host.Weight);
        if (!string.IsNullOrEmpty(host.Config.Hostname))
        {
            json.WriteString("hostname", host.Config.Hostname);
        }

        if (host.Config.Priority != 0)
        {
            json.WriteNumber("priority", host.Config.Priority);
        }

        // kubegate's own, beside Envoy's fields.
        json.WriteStartObject("kubegate");
        json.WriteString("state", ServingStateName(host.ServingState));
        json.WriteString("maintenance", AdminHandlers.MaintenanceName(host.Maintenance));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary><c>UP</c>, <c>DRAINING</c>, <c>DISABLED</c> or <c>DOWN</c>, as status, the dashboard and <c>/clusters</c> print it.</summary>
    public static string ServingStateName(ServingState state) => state switch
    {
        ServingState.Draining => "DRAINING",
        ServingState.Disabled => "DISABLED",
        ServingState.Down => "DOWN",
        _ => "UP",
    };

    private static string EdsHealthStatus(HealthFlags flags) =>
        flags.HasFlag(HealthFlags.FailedEdsHealth) ? "UNHEALTHY"
        : flags.HasFlag(HealthFlags.EdsStatusDraining) ? "DRAINING"
        : flags.HasFlag(HealthFlags.DegradedEdsHealth) ? "DEGRADED"
        : "HEALTHY";

    private static void Flag(Utf8JsonWriter json, HealthFlags flags, HealthFlags flag, string name)
    {
        if (flags.HasFlag(flag))
        {
            json.WriteBoolean(name, true);
        }
    }

    private static void Stat(Utf8JsonWriter json, string name, long value, bool gauge)
    {
        json.WriteStartObject();
        if (gauge)
        {
            json.WriteString("type", "GAUGE");
        }

        json.WriteString("name", name);
        json.WriteNumber("value", value);
        json.WriteEndObject();
    }

    private static IEnumerable<EndpointState> OrderedHosts(ClusterState cluster) =>
        cluster.AllHosts.Hosts.OrderBy(h => h.Config.Priority); // stable: assignment order within a priority

    private static void AppendThresholds(StringBuilder text, string cluster, string priority, int maxConnections)
    {
        Line(text, cluster, priority + "::max_connections", maxConnections);
        Line(text, cluster, priority + "::max_pending_requests", DefaultLimit);
        Line(text, cluster, priority + "::max_requests", DefaultLimit);
        Line(text, cluster, priority + "::max_retries", DefaultMaxRetries);
    }

    private static void Line(StringBuilder text, string prefix, string key, string value) =>
        text.Append(prefix).Append("::").Append(key).Append("::").Append(value).Append('\n');

    private static void Line(StringBuilder text, string prefix, string key, long value) =>
        text.Append(prefix).Append("::").Append(key).Append("::").Append(value).Append('\n');
}

/// <summary>A cluster as <c>/clusters</c> shows it; <see cref="AddedViaApi"/> is true for CDS clusters, false for static ones.</summary>
internal sealed record ClusterView(ClusterState Cluster, bool AddedViaApi);
